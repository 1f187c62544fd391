-- The Neovim plugin on the real cluster: :Nhd dev start, the dev and sync state the daemon pushes
-- (statusline), a synced save, :Nhd run's output buffer, :Nhd exec's terminal, :Nhd dev end.
-- Prints "ok: ..." lines; exits non-zero (:cq) on failure. test/e2e/neovim.test.ts checks the
-- cluster side (the workload's spec restored).
local node = os.getenv('NHD_NODE')
local script = os.getenv('NHD_SCRIPT')
local plugin_dir = os.getenv('NHD_PLUGIN_DIR')
local namespace = os.getenv('NHD_NAMESPACE')
local local_dir = os.getenv('NHD_LOCAL_DIR')
local workload = 'deployment/nvim-app'
local timeout = 240000

local function fail(message)
  io.stderr:write('FAIL: ' .. message .. '\n')
  vim.cmd('cq')
end
local function check(condition, message)
  if not condition then error(message, 2) end
end
local function ok(message) io.stdout:write('ok: ' .. message .. '\n') end

local messages = {}
vim.notify = function(message, level) table.insert(messages, { message = message, level = level or vim.log.levels.INFO }) end
local function errors()
  local out = {}
  for _, m in ipairs(messages) do
    if m.level == vim.log.levels.ERROR then table.insert(out, m.message) end
  end
  return out
end
local function wait(what, condition, ms)
  local got = vim.wait(ms or timeout, function() return condition() or #errors() > 0 end, 50)
  check(#errors() == 0, what .. ': error messages ' .. vim.inspect(errors()))
  check(got and condition(), 'timed out waiting for ' .. what .. '; messages ' .. vim.inspect(messages))
end
local function buffer_text(buf) return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n') end

local success, err = pcall(function()
  vim.opt.runtimepath:prepend(plugin_dir)
  vim.cmd('runtime plugin/nhd.lua')
  local nhd = require('nhd')
  nhd.setup({ cmd = { node, script, 'serve', '--remote=auto' }, namespace = namespace })
  local id = nhd.start()
  wait('the client to initialize', function()
    local client = vim.lsp.get_client_by_id(id)
    return client ~= nil and client.initialized == true
  end, 20000)
  local client = vim.lsp.get_client_by_id(id)

  -- Record the dev states the daemon pushes (nhd/dev/didChange), in order.
  local pushed = {}
  local dev_handler = client.handlers['nhd/dev/didChange']
  client.handlers['nhd/dev/didChange'] = function(e, session, ctx, cfg)
    if session.name == 'nvim-app' then table.insert(pushed, session.state) end
    return dev_handler(e, session, ctx, cfg)
  end
  local function session()
    for sid, s in pairs(nhd.state.dev) do
      if sid:match('/' .. vim.pesc(namespace) .. '/deployment/nvim%-app$') then return s end
    end
  end

  local containers = vim.fn.getcompletion('Nhd dev start ' .. workload .. ' ' .. local_dir .. ' -c ', 'cmdline')
  check(vim.deep_equal(containers, { 'proxy', 'app' }), '-c completion: ' .. vim.inspect(containers))
  ok('-c completes the containers ' .. table.concat(containers, ' '))

  vim.cmd('Nhd dev start ' .. workload .. ' ' .. local_dir)
  wait('dev mode pushed as ready', function() return vim.tbl_contains(pushed, 'ready') end)
  local s = session()
  check(s and s.state == 'ready' and s.image == 'docker.io/nhd/dev-node:v1', 'dev session: ' .. vim.inspect(s))
  ok('dev start: pushed states ' .. table.concat(pushed, ' > ') .. ', pod ' .. s.pod)
  check(s.container == 'app', 'dev container: ' .. tostring(s.container))
  ok('dev start swapped container ' .. s.container)

  wait('sync live in the statusline', function() return nhd.statusline():match('^nhd: nvim%-app live') ~= nil end)
  ok('statusline after the initial sync: ' .. nhd.statusline())

  -- A save reaches the container, and the pushed batch names it.
  local f = io.open(local_dir .. '/saved-in-nvim.txt', 'w')
  f:write('from neovim\n')
  f:close()
  wait('a sync batch with saved-in-nvim.txt', function()
    for _, st in pairs(nhd.state.sync) do
      if st.lastBatch and vim.tbl_contains(st.lastBatch.paths or {}, 'saved-in-nvim.txt') then return true end
    end
    return false
  end)
  ok('sync batch pushed: ' .. nhd.statusline())

  -- :Nhd run streams command.run's output into a buffer.
  vim.cmd('Nhd run ' .. workload)
  local run_buf
  wait('the run buffer to show the output', function()
    run_buf = vim.fn.bufnr('nhd://run/deployment/nvim-app')
    return run_buf ~= -1 and vim.tbl_contains(vim.api.nvim_buf_get_lines(run_buf, 0, -1, false), 'hello from nvim run')
  end, 60000)
  ok(':Nhd run output: ' .. vim.api.nvim_buf_get_lines(run_buf, 1, 2, false)[1])

  -- :Nhd port-forward: the daemon forwards a free local port to the program's.
  vim.cmd('Nhd port-forward ' .. workload .. ' 0:9080')
  local port
  wait('the port-forward message', function()
    for _, m in ipairs(messages) do
      port = port or m.message:match('^forwarding 127%.0%.0%.1:(%d+) %->')
    end
    return port ~= nil
  end, 30000)
  local answer
  wait('an answer through the port-forward', function()
    answer = vim.fn.system({ 'curl', '-s', '--max-time', '2', 'http://127.0.0.1:' .. port .. '/' })
    return answer == 'hi from nvim-app'
  end, 60000)
  ok(':Nhd port-forward 127.0.0.1:' .. port .. ' answers ' .. answer)

  -- :Nhd ls shows the workload in dev mode.
  vim.cmd('Nhd ls')
  wait('the workloads buffer', function()
    local b = vim.fn.bufnr('nhd://workloads')
    return b ~= -1 and buffer_text(b):find('deployment/nvim%-app%s+%S+%s+developing') ~= nil
  end, 30000)
  ok(':Nhd ls shows deployment/nvim-app developing')

  -- :Nhd exec opens a terminal running `nhd exec -t` (the CLI, on the same shared daemon).
  local term_buf = require('nhd.commands').subcommands.exec({ workload })
  local job = vim.b[term_buf].terminal_job_id
  check(job ~= nil, 'no terminal job')
  vim.wait(3000, function() return buffer_text(term_buf):find('[#$] ?$') ~= nil end, 50)
  vim.fn.chansend(job, 'cat /src/saved-in-nvim.txt; echo exec-$((6*7))\r')
  wait('the terminal to show the command output', function() return buffer_text(term_buf):find('exec%-42') ~= nil end, 60000)
  check(buffer_text(term_buf):find('from neovim', 1, true) ~= nil, 'the synced file in the container: ' .. buffer_text(term_buf))
  vim.fn.chansend(job, 'exit\r')
  ok(':Nhd exec terminal: the synced file is in the container')

  vim.cmd('Nhd dev end ' .. workload)
  wait('dev end pushed', function() return session() == nil and vim.tbl_contains(pushed, 'ended') end)
  wait('the run to end with dev mode', function() return buffer_text(run_buf):find('[nhd] exited', 1, true) ~= nil end, 30000)
  wait('dev end message', function()
    for _, m in ipairs(messages) do
      if m.message:find('restored') then return true end
    end
    return false
  end, 30000)
  ok('dev end: pushed states ' .. table.concat(pushed, ' > ') .. '; statusline ' .. vim.inspect(nhd.statusline()))
  vim.cmd('Nhd stop')
  vim.wait(5000, function() return not nhd.running() end, 50)
end)
if not success then fail(tostring(err)) end
vim.cmd('qa!')
