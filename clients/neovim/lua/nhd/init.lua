-- nhd for Neovim: a thin client of the nhd daemon on Neovim's built-in LSP client (0.7.2 and
-- later). It starts `nhd serve --remote=auto`, attaches it to .nocalhost/config.yaml buffers
-- (diagnostics, completion, hover), drives every action through workspace/executeCommand with the
-- protocol's command ids (lua/nhd/protocol.lua, generated from protocol/), and shows what the
-- daemon pushes (dev and sync state, run output, progress). It holds no logic of its own beyond
-- presentation: anything two clients would need belongs in the daemon.
local protocol = require('nhd.protocol')
local util = require('nhd.util')

local M = {}

local defaults = {
  -- The command that serves the protocol on stdio; `--remote=auto` shares one daemon with the CLI
  -- and every other editor.
  cmd = { 'nhd', 'serve', '--remote=auto' },
  -- The `nhd` CLI for `:Nhd exec` and nvim-dap (default: `cmd` up to `serve`).
  cli = nil,
  -- initializationOptions (all optional; the daemon falls back to what kubectl would use).
  kubeconfig = nil,
  context = nil,
  namespace = nil,
  -- Extra environment for the daemon's process.
  env = nil,
  -- Attach to .nocalhost/config.yaml buffers as they open.
  attach_to_config = true,
  -- Show $/progress as messages.
  notify_progress = true,
}

--- What the daemon pushed, for the statusline and for scripts (read-only for users).
M.state = {
  --- Dev sessions by id (`<context>/<namespace>/<kind>/<name>`), from nhd/dev/didChange.
  dev = {},
  --- File sync of each session by sessionId, from nhd/sync/didChange.
  sync = {},
  --- Runs by runId, from nhd/run/didChange.
  runs = {},
  --- The last nhd/status/didChange.
  status = nil,
}

local config = nil
local client_id = nil
-- Buffers that show a run's output or a log, keyed by runId / streamId.
local run_buffers = {}
local log_buffers = {}

-- Neovim 0.11 made a client's functions methods (`client:request(...)`); 0.7 to 0.10 call them
-- with a dot. Every call on a client goes through here.
local method_style = vim.fn.has('nvim-0.11') == 1
local function invoke(client, name, ...)
  if method_style then return client[name](client, ...) end
  return client[name](...)
end
M.invoke = invoke

local function notify(message, level)
  vim.notify(message, level or vim.log.levels.INFO, { title = 'nhd' })
end

--- The CLI argv prefix (`{'nhd'}`, or `{node, '/path/nhd.js'}`).
function M.cli()
  if config and config.cli then return vim.deepcopy(config.cli) end
  local cmd = (config and config.cmd) or defaults.cmd
  local prefix = {}
  for _, part in ipairs(cmd) do
    if part == 'serve' then break end
    table.insert(prefix, part)
  end
  return prefix
end

local function initialization_options()
  local options = vim.empty_dict()
  local kubeconfig = config.kubeconfig or vim.env.KUBECONFIG
  if kubeconfig and kubeconfig ~= '' then options.kubeconfig = vim.fn.fnamemodify(kubeconfig, ':p') end
  if config.context then options.context = config.context end
  if config.namespace then options.namespace = config.namespace end
  return options
end

-- Handlers of what the daemon pushes. Each runs on the main loop (vim.schedule is not needed).
local handlers = {}

handlers[protocol.notifications.DevDidChange] = function(_, session)
  M.state.dev[session.id] = session
  if session.state == 'ready' then
    notify(string.format('%s/%s is in dev mode (pod %s)', session.kind, session.name, session.pod or '?'))
  elseif session.state == 'failed' then
    notify(string.format('%s/%s: dev mode failed: %s', session.kind, session.name, session.error or '?'), vim.log.levels.ERROR)
  elseif session.state == 'ended' then
    M.state.dev[session.id] = nil
  end
  for _, warning in ipairs(session.warnings or {}) do notify(warning, vim.log.levels.WARN) end
  vim.cmd('redrawstatus!')
end

handlers[protocol.notifications.SyncDidChange] = function(_, status)
  if status.state == 'stopped' then
    M.state.sync[status.sessionId] = nil
  else
    M.state.sync[status.sessionId] = status
  end
  if status.state == 'failed' then notify('sync failed: ' .. (status.error or '?'), vim.log.levels.ERROR) end
  vim.cmd('redrawstatus!')
end

handlers[protocol.notifications.StatusDidChange] = function(_, status)
  M.state.status = status
end

handlers[protocol.notifications.RunOutput] = function(_, params)
  local buf = run_buffers[params.runId]
  if buf then util.append(buf, util.base64_decode(params.data)) end
end

handlers[protocol.notifications.RunDidChange] = function(_, params)
  local run = params.run
  if run.ended then M.state.runs[run.runId] = nil else M.state.runs[run.runId] = run end
  local buf = run_buffers[run.runId]
  if not buf then return end
  if params.reload then
    local r = params.reload
    util.append_line(buf, string.format('[nhd] reloaded: %d files synced in %d ms, stopped in %d ms, started in %d ms', r.files, r.syncMs, r.stopMs, r.startMs))
  elseif run.state == 'exited' then
    local code = run.exitCode == nil and 'unknown' or tostring(run.exitCode)
    util.append_line(buf, string.format('[nhd] exited (code %s)%s', code, run.message and (': ' .. run.message) or ''))
  elseif run.state == 'restarting' then
    util.append_line(buf, '[nhd] restarting')
  end
  if run.ended then run_buffers[run.runId] = nil end
end

handlers[protocol.notifications.LogsOutput] = function(_, params)
  local entry = log_buffers[params.streamId]
  if entry then util.append(entry.buf, params.text) end
end

handlers['$/progress'] = function(err, result, ctx, cfg)
  -- Keep Neovim's own bookkeeping (client.messages, User LspProgressUpdate) for statusline plugins.
  pcall(vim.lsp.handlers['$/progress'], err, result, ctx, cfg)
  if not config.notify_progress or type(result) ~= 'table' or type(result.value) ~= 'table' then return end
  local value = result.value
  local text = value.title or value.message
  if value.kind == 'report' or value.kind == 'end' then text = value.message end
  if text and text ~= '' then
    local percent = value.percentage and string.format(' (%d%%)', value.percentage) or ''
    vim.api.nvim_echo({ { 'nhd: ' .. text .. percent } }, false, {})
  end
end

--- Starts the daemon's client (once) and returns its id. Callable without any buffer.
function M.start()
  if config == nil then M.setup({}) end
  if client_id ~= nil then
    local client = vim.lsp.get_client_by_id(client_id)
    if client and not invoke(client, 'is_stopped') then return client_id end
  end
  local capabilities = vim.lsp.protocol.make_client_capabilities()
  capabilities.window = capabilities.window or {}
  capabilities.window.workDoneProgress = true
  client_id = vim.lsp.start_client({
    name = 'nhd',
    cmd = config.cmd,
    cmd_env = config.env,
    root_dir = vim.fn.getcwd(),
    capabilities = capabilities,
    init_options = initialization_options(),
    handlers = handlers,
    on_init = function(client)
      -- Sessions may already exist (started from the CLI or another editor): read them once, then
      -- follow the pushed notifications.
      invoke(client, 'request', 'workspace/executeCommand', { command = protocol.command_of[protocol.requests.SyncStatus], arguments = { vim.empty_dict() } }, function(err, result)
        if err or not result then return end
        for _, status in ipairs(result.sessions or {}) do M.state.sync[status.sessionId] = status end
      end)
      invoke(client, 'request', 'workspace/executeCommand', { command = protocol.command_of[protocol.requests.DevStatus], arguments = { vim.empty_dict() } }, function(err, result)
        if err or not result then return end
        for _, session in ipairs(result.sessions or {}) do M.state.dev[session.id] = session end
      end)
    end,
    on_exit = function(code, signal)
      client_id = nil
      M.state.dev, M.state.sync, M.state.runs = {}, {}, {}
      if code ~= 0 then
        vim.schedule(function() notify(string.format('the nhd daemon client exited (code %d, signal %d); :Nhd status restarts it', code, signal or 0), vim.log.levels.WARN) end)
      end
    end,
  })
  if client_id == nil then notify('could not start ' .. table.concat(config.cmd, ' '), vim.log.levels.ERROR) end
  return client_id
end

--- The running client, started when needed.
function M.client()
  local id = M.start()
  return id and vim.lsp.get_client_by_id(id) or nil
end

--- Whether the client runs now (without starting it).
function M.running()
  if client_id == nil then return false end
  local client = vim.lsp.get_client_by_id(client_id)
  return client ~= nil and not invoke(client, 'is_stopped')
end

local function command_params(method, params)
  local command = protocol.command_of[method]
  if command == nil then error('nhd: no command for ' .. method) end
  return { command = command, arguments = { params or vim.empty_dict() } }
end

--- Runs an `nhd/` method through workspace/executeCommand. `callback(err, result)` gets the
--- daemon's error (with `message` and `code`) or result; without one, errors become messages.
--- Returns the request id (for cancel) or nil.
function M.request(method, params, callback)
  local client = M.client()
  if client == nil then
    if callback then callback({ message = 'nhd is not running' }, nil) end
    return nil
  end
  local ok, request_id = invoke(client, 'request', 'workspace/executeCommand', command_params(method, params), function(err, result)
    if callback then
      callback(err, result)
    elseif err then
      notify(err.message, vim.log.levels.ERROR)
    end
  end, 0)
  return ok and request_id or nil
end

--- The same, waiting for the answer (up to timeout_ms). Returns result, err.
function M.request_sync(method, params, timeout_ms)
  local client = M.client()
  if client == nil then return nil, { message = 'nhd is not running' } end
  local response, reason = invoke(client, 'request_sync', 'workspace/executeCommand', command_params(method, params), timeout_ms or 10000, 0)
  if response == nil then return nil, { message = 'nhd: ' .. tostring(reason or 'no answer') } end
  return response.result, response.err
end

--- Cancels a request M.request started.
function M.cancel(request_id)
  local client = M.running() and vim.lsp.get_client_by_id(client_id) or nil
  if client and request_id then invoke(client, 'cancel_request', request_id) end
end

--- Attaches the daemon to a buffer (a dev config) for diagnostics, completion and hover.
function M.attach(bufnr)
  local id = M.start()
  if id then vim.lsp.buf_attach_client(bufnr or vim.api.nvim_get_current_buf(), id) end
end

--- The sync state for a statusline: '' before the daemon runs, 'nhd' with no session,
--- 'nhd: authors live 12ms' (the last batch's save-to-live latency) with sessions.
function M.statusline()
  if not M.running() then return '' end
  local parts = {}
  local ids = vim.tbl_keys(M.state.sync)
  table.sort(ids)
  for _, id in ipairs(ids) do
    local s = M.state.sync[id]
    local name = id:match('([^/]+)$') or id
    if s.state == 'watching' then
      local latency = s.lastBatch and string.format(' %dms', s.lastBatch.latencyMs) or ''
      table.insert(parts, name .. ' live' .. latency)
    else
      table.insert(parts, name .. ' ' .. s.state)
    end
  end
  if #parts == 0 then
    local dev = vim.tbl_keys(M.state.dev)
    table.sort(dev)
    for _, id in ipairs(dev) do table.insert(parts, (id:match('([^/]+)$') or id) .. ' ' .. M.state.dev[id].state) end
  end
  if #parts == 0 then return 'nhd' end
  return 'nhd: ' .. table.concat(parts, ', ')
end

--- Buffers for run output and logs (used by lua/nhd/commands.lua).
function M._register_run_buffer(run_id, buf) run_buffers[run_id] = buf end
function M._register_log_buffer(stream_id, entry) log_buffers[stream_id] = entry end
function M._unregister_log_buffer(stream_id) log_buffers[stream_id] = nil end

-- Whether nvim-dap has the `pipe` adapter (a unix socket; nvim-dap 0.7.0 and later).
local function dap_has_pipe()
  local ok, session = pcall(require, 'dap.session')
  return ok and type(session) == 'table' and type(session.pipe) == 'function'
end

--- nvim-dap: registers the `nhd` adapter and an attach configuration for Go and Python when
--- nvim-dap is installed. Returns false without nvim-dap (no hard dependency). The adapter asks the
--- daemon for a unix socket of the session's own (nhd/debug/listen, transport socket: 0600, in a
--- directory only you can reach) and connects to it as a `pipe` adapter; an nvim-dap without
--- `pipe`, or a daemon that offers no socket, gets `nhd dap` on stdio, which uses the same socket.
function M.setup_dap(opts)
  opts = opts or {}
  local ok, dap = pcall(require, 'dap')
  if not ok then return false end
  if config == nil then M.setup({}) end
  local cli = M.cli()
  local args = {}
  for i = 2, #cli do table.insert(args, cli[i]) end
  table.insert(args, 'dap')
  local executable = { type = 'executable', command = cli[1], args = args, options = { env = config.env } }
  dap.adapters.nhd = function(callback)
    if not dap_has_pipe() then return callback(executable) end
    M.request(protocol.requests.DebugListen, { transport = 'socket' }, function(err, result)
      if err == nil and type(result) == 'table' and result.transport == 'socket' and type(result.path) == 'string' then
        callback({ type = 'pipe', pipe = result.path })
      else
        if err then notify('nhd/debug/listen failed (' .. tostring(err.message) .. '); debugging through `nhd dap` instead', vim.log.levels.WARN) end
        callback(executable)
      end
    end)
  end
  local template = {
    type = 'nhd',
    request = 'attach',
    name = 'nhd: attach to a workload in the cluster',
    workload = function() return vim.fn.input('Workload (KIND/NAME): ', 'deployment/') end,
    namespace = config.namespace,
  }
  dap.configurations = dap.configurations or {}
  for _, filetype in ipairs(opts.filetypes or { 'go', 'python' }) do
    dap.configurations[filetype] = dap.configurations[filetype] or {}
    local configuration = vim.deepcopy(template)
    configuration.workload = template.workload
    if filetype == 'go' or filetype == 'python' then configuration.language = filetype end
    table.insert(dap.configurations[filetype], configuration)
  end
  return true
end

--- Configures the plugin. Safe to call again (a running client keeps its settings until restarted).
function M.setup(opts)
  config = vim.tbl_deep_extend('force', vim.deepcopy(defaults), opts or {})
  if opts and opts.cmd then config.cmd = opts.cmd end
  if config.attach_to_config then
    local group = vim.api.nvim_create_augroup('nhd', { clear = true })
    vim.api.nvim_create_autocmd({ 'BufReadPost', 'BufNewFile' }, {
      group = group,
      pattern = { '*/.nocalhost/config.yaml', '*/.nocalhost/config.yml' },
      callback = function(args) M.attach(args.buf) end,
    })
  end
  return M
end

--- The current configuration (after setup).
function M.config()
  return config
end

return M
