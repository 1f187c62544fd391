-- Drives `nhd serve` from Neovim's built-in LSP client (0.7.2 and later), as a user's config would:
-- start the server, open a broken .nocalhost/config.yaml, wait for its diagnostics, run a
-- command through workspace/executeCommand. Prints "ok: ..." lines; exits non-zero (:cq) on failure.
local node = os.getenv('NHD_NODE')
local script = os.getenv('NHD_SCRIPT')
local config_file = os.getenv('NHD_CONFIG_FILE')

local function fail(message)
  io.stderr:write('FAIL: ' .. message .. '\n')
  vim.cmd('cq')
end

local function check(condition, message)
  if not condition then fail(message) end
end

local ok, err = pcall(function()
  local client_id = vim.lsp.start_client({
    name = 'nhd',
    cmd = { node, script, 'serve' },
    root_dir = vim.fn.fnamemodify(config_file, ':h:h'),
  })
  check(client_id ~= nil, 'vim.lsp.start_client returned nil')

  vim.cmd('edit ' .. vim.fn.fnameescape(config_file))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.lsp.buf_attach_client(bufnr, client_id)

  local got = vim.wait(10000, function() return #vim.diagnostic.get(bufnr) > 0 end, 50)
  check(got, 'no diagnostics arrived within 10 s')
  local diagnostics = vim.diagnostic.get(bufnr, { severity = vim.diagnostic.severity.ERROR })
  check(#diagnostics >= 1, 'expected an error diagnostic')
  local d = diagnostics[1]
  -- The broken line is 8 (1-based), `        - "80x80"`: the value starts at column 10 (0-based).
  check(d.lnum == 7 and d.col == 10, string.format('error at %d:%d, expected 7:10 (%s)', d.lnum, d.col, d.message))
  io.stdout:write(string.format('ok: diagnostic %d:%d %s\n', d.lnum, d.col, d.message))

  local client = vim.lsp.get_client_by_id(client_id)
  local commands = client.server_capabilities.executeCommandProvider.commands
  check(vim.tbl_contains(commands, 'nhd.status'), 'nhd.status is not in executeCommandProvider')

  local response = client.request_sync('workspace/executeCommand', { command = 'nhd.status', arguments = { {} } }, 10000, bufnr)
  check(response and response.result, 'workspace/executeCommand nhd.status failed: ' .. vim.inspect(response))
  check(response.result.mode == 'stdio', 'status.mode is ' .. tostring(response.result.mode))
  check(response.result.clients[1].name == 'Neovim', 'clientInfo.name is ' .. tostring(response.result.clients[1].name))
  io.stdout:write('ok: nhd.status pid ' .. response.result.pid .. ' version ' .. response.result.version .. '\n')

  local validate = client.request_sync('workspace/executeCommand', { command = 'nhd.config.validate', arguments = { { path = config_file } } }, 10000, bufnr)
  check(validate and validate.result and #validate.result.services == 1, 'nhd.config.validate failed: ' .. vim.inspect(validate))
  io.stdout:write('ok: nhd.config.validate ' .. validate.result.services[1].name .. '\n')

  client.stop()
  vim.wait(5000, function() return client.is_stopped() end, 50)
end)
if not ok then fail(tostring(err)) end
vim.cmd('qa!')
