-- `:Nhd` and its subcommands. Each one is a request to the daemon through workspace/executeCommand
-- (see lua/nhd/init.lua) and a way to show its answer; `exec` runs the CLI in a terminal buffer.
local nhd = require('nhd')
local protocol = require('nhd.protocol')
local util = require('nhd.util')

local M = {}
local R = protocol.requests

local function notify(message, level)
  vim.notify(message, level or vim.log.levels.INFO, { title = 'nhd' })
end

local function err_message(err)
  return err.message or vim.inspect(err)
end

-- Runs `method` and hands a result to `on_result`; errors become error messages.
local function call(method, params, on_result)
  return nhd.request(method, params, function(err, result)
    if err then
      notify(err_message(err), vim.log.levels.ERROR)
    elseif on_result then
      on_result(result)
    end
  end)
end

local function workload_arg(arg, usage)
  local ref, message = util.parse_workload(arg)
  if not ref then
    notify(usage .. ': ' .. message, vim.log.levels.ERROR)
    return nil
  end
  return ref
end

local function pad(s, n)
  s = tostring(s)
  return s .. string.rep(' ', math.max(1, n - #s))
end

local subcommands = {}

subcommands.ls = function(args)
  local params = vim.empty_dict()
  if args[1] then params = { namespace = args[1] } end
  call(R.WorkloadsList, params, function(result)
    local lines = { string.format('context %s, namespace %s', result.context, result.namespace), '' }
    table.insert(lines, pad('WORKLOAD', 40) .. pad('READY', 8) .. 'DEV')
    for _, w in ipairs(result.workloads) do
      local dev = w.devState == 'developing' and ('developing' .. (w.devOwner and (' (' .. w.devOwner.identity .. ')') or '')) or '-'
      table.insert(lines, pad(w.kind .. '/' .. w.name, 40) .. pad(w.ready, 8) .. dev)
    end
    if #result.workloads == 0 then table.insert(lines, '(no workloads)') end
    local buf = util.scratch('nhd://workloads')
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  end)
end

subcommands.dev = function(args)
  local verb = args[1]
  if verb == 'start' then
    -- `-c NAME` may come anywhere after `start`; the rest is KIND/NAME [DIR].
    local positional, container = {}, nil
    local i = 2
    while args[i] do
      if args[i] == '-c' then
        container = args[i + 1]
        if not container then return notify(':Nhd dev start: -c takes a container name', vim.log.levels.ERROR) end
        i = i + 2
      else
        table.insert(positional, args[i])
        i = i + 1
      end
    end
    local ref = workload_arg(positional[1], ':Nhd dev start KIND/NAME [DIR] [-c CONTAINER]')
    if not ref then return end
    ref.localDir = vim.fn.fnamemodify(positional[2] or vim.fn.getcwd(), ':p'):gsub('/$', '')
    if container then ref.container = container end
    notify(string.format('starting dev mode of %s/%s ...', ref.kind, ref.name))
    call(R.DevStart, ref, function(session)
      nhd.state.dev[session.id] = session
      notify(string.format('%s/%s is in dev mode: %s in %s', session.kind, session.name, session.image, session.pod or '?'))
    end)
  elseif verb == 'end' then
    local ref = workload_arg(args[2], ':Nhd dev end KIND/NAME')
    if not ref then return end
    call(R.DevEnd, ref, function(result) notify(result.message) end)
  elseif verb == 'status' then
    call(R.DevStatus, nil, function(result)
      if #result.sessions == 0 then return notify('no dev sessions') end
      local lines = {}
      for _, s in ipairs(result.sessions) do table.insert(lines, string.format('%s/%s %s (%s)', s.kind, s.name, s.state, s.namespace)) end
      notify(table.concat(lines, '\n'))
    end)
  else
    notify(':Nhd dev start KIND/NAME [DIR] | dev end KIND/NAME | dev status', vim.log.levels.ERROR)
  end
end

subcommands.run = function(args)
  if args[1] == 'stop' then
    local ref = workload_arg(args[2], ':Nhd run stop KIND/NAME')
    if not ref then return end
    for run_id, run in pairs(nhd.state.runs) do
      if run.name == ref.name and run.kind:sub(1, #ref.kind) == ref.kind then
        call(R.RunStop, { runId = run_id })
        return
      end
    end
    return notify('no run of ' .. args[2], vim.log.levels.WARN)
  end
  local ref = workload_arg(args[1], ':Nhd run KIND/NAME [--hot-reload]')
  if not ref then return end
  if args[2] == '--hot-reload' then ref.hotReload = true end
  call(R.RunStart, ref, function(run)
    nhd.state.runs[run.runId] = run
    local buf = util.scratch(string.format('nhd://run/%s/%s', run.kind, run.name))
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, { string.format('[nhd] %s in %s (%s)%s', table.concat(run.command, ' '), run.pod, run.workDir, run.hotReload and ', hot reload' or ''), '' })
    nhd._register_run_buffer(run.runId, buf)
    -- Closing the buffer stops the run.
    vim.api.nvim_create_autocmd('BufWipeout', {
      buffer = buf,
      once = true,
      callback = function()
        if nhd.state.runs[run.runId] then nhd.request(R.RunStop, { runId = run.runId }, function() end) end
      end,
    })
  end)
end

subcommands.exec = function(args)
  local ref = workload_arg(args[1], ':Nhd exec KIND/NAME')
  if not ref then return end
  local argv = nhd.cli()
  vim.list_extend(argv, { 'exec', '-t', ref.kind .. '/' .. ref.name })
  local cfg = nhd.config()
  if cfg.namespace then vim.list_extend(argv, { '-n', cfg.namespace }) end
  if cfg.context then vim.list_extend(argv, { '--context', cfg.context }) end
  local env = vim.tbl_extend('force', {}, cfg.env or {})
  local kubeconfig = cfg.kubeconfig or vim.env.KUBECONFIG
  if kubeconfig then env.KUBECONFIG = vim.fn.fnamemodify(kubeconfig, ':p') end
  vim.cmd('botright split')
  vim.cmd('enew')
  local buf = vim.api.nvim_get_current_buf()
  vim.fn.termopen(argv, { env = env })
  pcall(vim.api.nvim_buf_set_name, buf, string.format('nhd://exec/%s/%s', ref.kind, ref.name))
  vim.cmd('startinsert')
  return buf
end

subcommands['port-forward'] = function(args)
  local ref = workload_arg(args[1], ':Nhd port-forward KIND/NAME LOCAL:REMOTE')
  if not ref then return end
  local localPort, remotePort = (args[2] or ''):match('^(%d+):(%d+)$')
  if not localPort then
    local only = (args[2] or ''):match('^(%d+)$')
    if not only then return notify(':Nhd port-forward KIND/NAME LOCAL:REMOTE (e.g. 8080:80)', vim.log.levels.ERROR) end
    localPort, remotePort = only, only
  end
  ref.localPort, ref.remotePort = tonumber(localPort), tonumber(remotePort)
  call(R.PortForwardStart, ref, function(pf)
    notify(string.format('forwarding %s:%d -> %s/%s:%d (%s)', pf.address, pf.localPort, pf.kind, pf.name, pf.remotePort, pf.state))
  end)
end

local stream_counter = 0
subcommands.logs = function(args)
  local ref = workload_arg(args[1], ':Nhd logs KIND/NAME')
  if not ref then return end
  stream_counter = stream_counter + 1
  local stream_id = string.format('nvim-%d-%d', vim.fn.getpid(), stream_counter)
  ref.streamId = stream_id
  ref.follow = true
  ref.tailLines = 200
  local buf = util.scratch(string.format('nhd://logs/%s/%s', ref.kind, ref.name))
  local entry = { buf = buf }
  nhd._register_log_buffer(stream_id, entry)
  entry.request_id = nhd.request(R.LogsStream, ref, function(err, result)
    nhd._unregister_log_buffer(stream_id)
    if err then
      if err.code ~= protocol.error_codes.RequestCancelled then util.append_line(buf, '[nhd] ' .. err_message(err)) end
      return
    end
    util.append_line(buf, string.format('[nhd] log of %s/%s ended', result.pod, result.container))
  end)
  -- Closing the buffer stops following.
  vim.api.nvim_create_autocmd('BufWipeout', {
    buffer = buf,
    once = true,
    callback = function() nhd.cancel(entry.request_id) end,
  })
  return buf
end

subcommands.sync = function(args)
  if args[1] ~= nil and args[1] ~= 'status' then
    return notify(':Nhd sync status', vim.log.levels.ERROR)
  end
  call(R.SyncStatus, nil, function(result)
    if #result.sessions == 0 then return notify('no file sync: no dev session with a local directory') end
    local lines = {}
    for _, s in ipairs(result.sessions) do
      local last = s.lastBatch and string.format(', last batch %d files in %d ms', s.lastBatch.files, s.lastBatch.latencyMs) or ''
      table.insert(lines, string.format('%s: %s, %s -> %s%s', s.sessionId, s.state, s.localDir, s.remoteDir, last))
      if s.error then table.insert(lines, '  ' .. s.error) end
      for _, held in ipairs(s.held or {}) do table.insert(lines, '  held delete: ' .. held) end
    end
    notify(table.concat(lines, '\n'))
  end)
end

subcommands.status = function()
  call(R.Status, nil, function(s)
    local lines = {
      string.format('nhd %s (protocol %s), pid %d, %s', s.version, s.protocolVersion, s.pid, s.mode),
      'log: ' .. s.logFile,
      string.format('clients: %d, dev sessions: %d', #s.clients, #s.sessions),
    }
    notify(table.concat(lines, '\n'))
  end)
end

subcommands.start = function()
  if nhd.start() then notify('nhd client started') end
end

subcommands.stop = function()
  if nhd.running() then
    nhd.invoke(nhd.client(), 'stop')
  end
end

-- Completion -----------------------------------------------------------------------------------

local names = { 'dev', 'exec', 'logs', 'ls', 'port-forward', 'run', 'start', 'status', 'stop', 'sync' }
local verbs = { dev = { 'end', 'start', 'status' }, sync = { 'status' } }
local takes_workload = { exec = 1, logs = 1, run = 1, ['port-forward'] = 1 }

-- Workload names for completion, from the daemon (cached for a few seconds; nothing without a
-- cluster).
local cache = { at = 0, items = {}, containers = {} }
local function refresh_workloads()
  if not nhd.running() then return false end
  if vim.loop.now() - cache.at < 5000 then return true end
  local result = nhd.request_sync(R.WorkloadsList, nil, 1500)
  cache.at = vim.loop.now()
  cache.items, cache.containers = {}, {}
  if result then
    for _, w in ipairs(result.workloads) do
      table.insert(cache.items, w.kind .. '/' .. w.name)
      cache.containers[w.kind .. '/' .. w.name] = w.containers or {}
    end
  end
  return true
end

local function workload_names()
  if not refresh_workloads() then return {} end
  return cache.items
end

-- The containers of KIND/NAME (any spelling of the kind), for `-c`.
local function workload_containers(arg)
  local ref = arg and util.parse_workload(arg)
  if not ref or not refresh_workloads() then return {} end
  return cache.containers[ref.kind .. '/' .. ref.name] or {}
end

local function filter(items, prefix)
  local out = {}
  for _, item in ipairs(items) do
    if item:sub(1, #prefix) == prefix then table.insert(out, item) end
  end
  return out
end

local function complete_workload(prefix)
  local items = {}
  for _, kind in ipairs(protocol.workload_kinds) do table.insert(items, kind .. '/') end
  vim.list_extend(items, workload_names())
  return filter(items, prefix)
end

--- Completion for `:Nhd` (arglead, the whole command line, cursor position).
function M.complete(arglead, cmdline, _)
  local words = vim.split(cmdline, '%s+', { trimempty = false })
  -- words[1] is "Nhd"; the word being completed is the last one.
  local index = #words - 1
  if index <= 1 then return filter(names, arglead) end
  local sub = words[2]
  if verbs[sub] and index == 2 then return filter(verbs[sub], arglead) end
  if sub == 'dev' and index == 3 and (words[3] == 'start' or words[3] == 'end') then return complete_workload(arglead) end
  if sub == 'dev' and words[3] == 'start' and index >= 4 then
    if words[#words - 1] == '-c' then return filter(workload_containers(words[4]), arglead) end
    local items = index <= 5 and vim.fn.getcompletion(arglead, 'dir') or {}
    if not vim.tbl_contains(words, '-c') and ('-c'):sub(1, #arglead) == arglead then table.insert(items, 1, '-c') end
    return items
  end
  if sub == 'run' and index == 2 then
    local items = complete_workload(arglead)
    if ('stop'):sub(1, #arglead) == arglead then table.insert(items, 1, 'stop') end
    return items
  end
  if sub == 'run' and index == 3 then
    if words[3] == 'stop' then return complete_workload(arglead) end
    return filter({ '--hot-reload' }, arglead)
  end
  if takes_workload[sub] and index == 2 then return complete_workload(arglead) end
  return {}
end

--- Runs `:Nhd {args}`.
function M.run(line)
  local args = vim.split(vim.trim(line or ''), '%s+', { trimempty = true })
  local name = table.remove(args, 1)
  if name == nil then
    return notify('usage: :Nhd ' .. table.concat(names, '|'), vim.log.levels.ERROR)
  end
  local handler = subcommands[name]
  if handler == nil then
    return notify(string.format('unknown subcommand %q; :Nhd %s', name, table.concat(names, '|')), vim.log.levels.ERROR)
  end
  return handler(args)
end

M.subcommands = subcommands
return M
