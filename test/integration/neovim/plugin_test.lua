-- The Neovim plugin (clients/neovim) against the real daemon, no cluster: it loads, sets up,
-- completes :Nhd, reports an empty statusline, reaches the daemon through workspace/executeCommand,
-- turns the daemon's errors into messages, attaches to a dev config buffer, shows progress and
-- registers an nvim-dap adapter. Prints "ok: ..." lines; exits non-zero (:cq) on failure.
local plugin_dir = os.getenv('NHD_PLUGIN_DIR')
local config_file = os.getenv('NHD_CONFIG_FILE')
local kubeconfig = os.getenv('NHD_FAKE_KUBECONFIG')

local function fail(message)
  io.stderr:write('FAIL: ' .. message .. '\n')
  vim.cmd('cq')
end

local function check(condition, message)
  if not condition then error(message, 2) end
end

local function ok(message) io.stdout:write('ok: ' .. message .. '\n') end

-- Messages the plugin shows, captured.
local messages = {}
vim.notify = function(message, level) table.insert(messages, { message = message, level = level or vim.log.levels.INFO }) end
local function message_matching(pattern, level)
  for _, m in ipairs(messages) do
    if m.message:find(pattern) and (level == nil or m.level == level) then return m end
  end
end
local function wait_message(pattern, level, what)
  local got = vim.wait(20000, function() return message_matching(pattern, level) ~= nil end, 20)
  check(got, 'no message matching ' .. pattern .. ' (' .. what .. '); messages: ' .. vim.inspect(messages))
  return message_matching(pattern, level)
end

local success, err = pcall(function()
  vim.opt.runtimepath:prepend(plugin_dir)
  vim.cmd('runtime plugin/nhd.lua')
  check(vim.fn.exists(':Nhd') == 2, ':Nhd is not defined after loading plugin/nhd.lua')
  local nhd = require('nhd')
  ok('plugin loads')

  -- Pure helpers.
  local util = require('nhd.util')
  check(util.base64_decode('aGVsbG8sIHfDtnJsZAo=') == 'hello, w\195\182rld\n', 'base64_decode')
  local ref = util.parse_workload('deploy/authors-v1.2')
  check(ref and ref.kind == 'deploy' and ref.name == 'authors-v1.2', 'parse_workload: ' .. vim.inspect(ref))
  check(util.parse_workload('authors') == nil, 'parse_workload accepts a bare name')

  -- Before setup and start: no client, empty statusline.
  check(nhd.statusline() == '', 'statusline before start: ' .. vim.inspect(nhd.statusline()))
  check(nhd.setup_dap() == false, 'setup_dap without nvim-dap should return false')

  -- No cmd: the default, `nhd serve --remote=auto`, with nhd found on PATH as an npm install puts it there.
  nhd.setup({ kubeconfig = kubeconfig, namespace = 'nvim-test' })
  check(vim.deep_equal(nhd.cli(), { 'nhd' }), 'cli prefix: ' .. vim.inspect(nhd.cli()))

  -- Completion (no daemon needed; workload names come only from a cluster).
  local subs = vim.fn.getcompletion('Nhd ', 'cmdline')
  for _, want in ipairs({ 'dev', 'exec', 'logs', 'ls', 'port-forward', 'run', 'sync' }) do
    check(vim.tbl_contains(subs, want), ':Nhd completion lacks ' .. want .. ': ' .. vim.inspect(subs))
  end
  check(vim.deep_equal(vim.fn.getcompletion('Nhd dev ', 'cmdline'), { 'end', 'start', 'status' }), ':Nhd dev completion: ' .. vim.inspect(vim.fn.getcompletion('Nhd dev ', 'cmdline')))
  check(vim.deep_equal(vim.fn.getcompletion('Nhd dev start dep', 'cmdline'), { 'deployment/' }), ':Nhd dev start completion: ' .. vim.inspect(vim.fn.getcompletion('Nhd dev start dep', 'cmdline')))
  check(vim.tbl_contains(vim.fn.getcompletion('Nhd dev start deployment/web ', 'cmdline'), '-c'), ':Nhd dev start offers -c: ' .. vim.inspect(vim.fn.getcompletion('Nhd dev start deployment/web ', 'cmdline')))
  check(vim.deep_equal(vim.fn.getcompletion('Nhd sync ', 'cmdline'), { 'status' }), ':Nhd sync completion')
  check(vim.deep_equal(vim.fn.getcompletion('Nhd po', 'cmdline'), { 'port-forward' }), ':Nhd po completion')
  ok('completion ' .. table.concat(subs, ' '))

  -- Started without any buffer, for commands.
  local id = nhd.start()
  check(id ~= nil, 'nhd.start() returned nil')
  check(vim.wait(10000, function()
    local client = vim.lsp.get_client_by_id(id)
    return client ~= nil and client.initialized == true
  end, 20), 'the client did not initialize')
  check(nhd.start() == id, 'a second start() started another client')
  check(nhd.statusline() == 'nhd', 'statusline with no session: ' .. vim.inspect(nhd.statusline()))
  ok('statusline with no session: ' .. nhd.statusline())

  local status, status_err = nhd.request_sync('nhd/status', nil, 10000)
  check(status ~= nil, 'nhd/status failed: ' .. vim.inspect(status_err))
  check(status.clients[1].name == 'Neovim', 'clientInfo.name: ' .. tostring(status.clients[1].name))
  ok('nhd.status through executeCommand: pid ' .. status.pid .. ', log ' .. status.logFile)

  vim.cmd('Nhd status')
  wait_message('^nhd .*\nlog: /', vim.log.levels.INFO, ':Nhd status')
  ok(':Nhd status shows the log path')

  -- Errors: the plugin's own (usage) and the daemon's (an unreachable cluster), both as messages.
  vim.cmd('Nhd bogus')
  wait_message('unknown subcommand "bogus"', vim.log.levels.ERROR, ':Nhd bogus')
  vim.cmd('Nhd dev start authors')
  wait_message('expected KIND/NAME', vim.log.levels.ERROR, ':Nhd dev start authors')
  vim.cmd('Nhd dev start deployment/authors')
  local unreachable = wait_message('127%.0%.0%.1:1', vim.log.levels.ERROR, ':Nhd dev start against an unreachable cluster')
  ok('daemon error as a message: ' .. unreachable.message:gsub('\n', ' '))
  vim.cmd('Nhd ls')
  wait_message('127%.0%.0%.1:1', vim.log.levels.ERROR, ':Nhd ls against an unreachable cluster')

  vim.cmd('Nhd sync status')
  wait_message('no file sync', vim.log.levels.INFO, ':Nhd sync status')
  ok(':Nhd sync status with no session')

  -- A log buffer shows the daemon's error for a workload it cannot reach.
  local log_buf = require('nhd.commands').subcommands.logs({ 'deployment/authors' })
  check(vim.wait(20000, function()
    local lines = vim.api.nvim_buf_get_lines(log_buf, 0, -1, false)
    return table.concat(lines, '\n'):find('%[nhd%]') ~= nil
  end, 20), 'the log buffer got no error line: ' .. vim.inspect(vim.api.nvim_buf_get_lines(log_buf, 0, -1, false)))
  ok(':Nhd logs buffer: ' .. vim.api.nvim_buf_get_lines(log_buf, 0, 1, false)[1])

  -- Progress: a long request reports $/progress under a token the daemon creates.
  local client = vim.lsp.get_client_by_id(id)
  local slept, sleep_err = nhd.request_sync('nhd/test/sleep', { ms = 300 }, 10000)
  check(slept ~= nil, 'nhd/test/sleep failed: ' .. vim.inspect(sleep_err))
  local progress = 0
  for _, p in pairs(client.messages.progress) do
    if p.done then progress = progress + 1 end
  end
  check(progress >= 1, 'no $/progress reached the client: ' .. vim.inspect(client.messages.progress))
  ok('$/progress received')

  -- The state handlers: a pushed sync status shows in the statusline.
  local handler = client.handlers['nhd/sync/didChange']
  handler(nil, { sessionId = 'ctx/ns/deployment/authors', state = 'watching', lastBatch = { latencyMs = 12 } }, { client_id = id, method = 'nhd/sync/didChange' }, {})
  check(nhd.statusline() == 'nhd: authors live 12ms', 'statusline with a session: ' .. nhd.statusline())
  handler(nil, { sessionId = 'ctx/ns/deployment/authors', state = 'stopped' }, { client_id = id, method = 'nhd/sync/didChange' }, {})
  check(nhd.statusline() == 'nhd', 'statusline after the session stopped: ' .. nhd.statusline())
  ok('statusline follows nhd/sync/didChange')

  -- A dev config buffer is attached on open and gets the daemon's diagnostics.
  vim.cmd('edit ' .. vim.fn.fnameescape(config_file))
  local bufnr = vim.api.nvim_get_current_buf()
  check(vim.wait(10000, function() return #vim.diagnostic.get(bufnr) > 0 end, 20), 'no diagnostics for the dev config buffer')
  ok('dev config buffer diagnostics: ' .. vim.diagnostic.get(bufnr)[1].message)

  -- nvim-dap, when installed (stand-ins here: `dap`, and `dap.session` with the `pipe` of nvim-dap 0.7).
  package.loaded['dap'] = { adapters = {}, configurations = {} }
  package.loaded['dap.session'] = { pipe = function() end }
  check(nhd.setup_dap() == true, 'setup_dap with nvim-dap returned false')
  local dap = require('dap')
  local go = dap.configurations.go[1]
  check(go.type == 'nhd' and go.request == 'attach' and go.namespace == 'nvim-test' and go.language == 'go', 'dap configuration: ' .. vim.inspect(go))
  check(type(dap.adapters.nhd) == 'function', 'dap adapter: ' .. vim.inspect(dap.adapters.nhd))
  local adapter
  dap.adapters.nhd(function(a) adapter = a end, go)
  check(vim.wait(10000, function() return adapter ~= nil end, 20), 'the nhd adapter never called back')
  check(adapter.type == 'pipe' and type(adapter.pipe) == 'string', 'dap adapter: ' .. vim.inspect(adapter))
  local stat = vim.loop.fs_stat(adapter.pipe)
  check(stat ~= nil and stat.type == 'socket' and bit.band(stat.mode, 511) == 384, 'the DAP socket is not a 0600 socket: ' .. vim.inspect(stat))
  local dir_stat = vim.loop.fs_stat(vim.fn.fnamemodify(adapter.pipe, ':h'))
  check(dir_stat ~= nil and bit.band(dir_stat.mode, 511) == 448, 'the DAP socket directory is not 0700: ' .. vim.inspect(dir_stat))
  -- A DAP client on it, as nvim-dap's pipe adapter connects: the daemon's proxy answers initialize.
  local body = vim.fn.json_encode({ seq = 1, type = 'request', command = 'initialize', arguments = { adapterID = 'nhd', clientID = 'neovim' } })
  local pipe = vim.loop.new_pipe(false)
  local received, connect_error = '', nil
  pipe:connect(adapter.pipe, function(e)
    if e then connect_error = e return end
    pipe:read_start(function(_, data) if data then received = received .. data end end)
    pipe:write('Content-Length: ' .. #body .. '\r\n\r\n' .. body)
  end)
  check(vim.wait(10000, function() return connect_error ~= nil or received:find('supportsConfigurationDoneRequest', 1, true) ~= nil end, 20), 'no initialize response on the DAP socket: ' .. received)
  check(connect_error == nil, 'could not connect to the DAP socket: ' .. tostring(connect_error))
  check(vim.wait(10000, function() return vim.loop.fs_stat(adapter.pipe) == nil end, 20), 'the DAP socket file outlived its listener')
  pipe:close()
  ok('nvim-dap adapter: pipe ' .. adapter.pipe)
  -- An nvim-dap without `pipe` (before 0.7): `nhd dap` on stdio, which uses such a socket itself.
  package.loaded['dap.session'] = {}
  local fallback
  dap.adapters.nhd(function(a) fallback = a end, go)
  check(fallback ~= nil and fallback.type == 'executable' and fallback.command == 'nhd' and fallback.args[#fallback.args] == 'dap', 'dap adapter without pipe: ' .. vim.inspect(fallback))
  ok('nvim-dap adapter without pipe: ' .. fallback.command .. ' ' .. table.concat(fallback.args, ' '))

  vim.cmd('Nhd stop')
  check(vim.wait(5000, function() return not nhd.running() end, 20), 'the client did not stop')
  check(nhd.statusline() == '', 'statusline after stop: ' .. nhd.statusline())
  ok('client stopped')
end)
if not success then fail(tostring(err)) end
vim.cmd('qa!')
