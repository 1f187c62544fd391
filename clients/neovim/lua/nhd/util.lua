-- Presentation helpers: scratch buffers that grow as output streams in, and base64 (Neovim 0.7
-- has no vim.base64).
local M = {}

local alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
local decode_table = {}
for i = 1, #alphabet do decode_table[alphabet:byte(i)] = i - 1 end

--- Decodes base64 (the daemon's encoding of process output).
function M.base64_decode(data)
  if vim.base64 and vim.base64.decode then return vim.base64.decode(data) end
  local out = {}
  local bits, count = 0, 0
  for i = 1, #data do
    local v = decode_table[data:byte(i)]
    if v ~= nil then
      bits = bits * 64 + v
      count = count + 6
      if count >= 8 then
        count = count - 8
        local byte = math.floor(bits / 2 ^ count)
        bits = bits % 2 ^ count
        out[#out + 1] = string.char(byte)
      end
    end
  end
  return table.concat(out)
end

--- A scratch buffer named `name` in a new split (reused when it exists).
function M.scratch(name, filetype)
  local existing = vim.fn.bufnr(name)
  local buf
  if existing ~= -1 and vim.api.nvim_buf_is_valid(existing) then
    buf = existing
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, {})
  else
    buf = vim.api.nvim_create_buf(true, true)
    vim.api.nvim_buf_set_name(buf, name)
    vim.api.nvim_buf_set_option(buf, 'buftype', 'nofile')
    vim.api.nvim_buf_set_option(buf, 'swapfile', false)
    vim.api.nvim_buf_set_option(buf, 'bufhidden', 'wipe')
    if filetype then vim.api.nvim_buf_set_option(buf, 'filetype', filetype) end
  end
  local win = vim.fn.bufwinid(buf)
  if win == -1 then
    vim.cmd('botright split')
    vim.api.nvim_win_set_buf(0, buf)
  end
  return buf
end

--- Appends streamed text; a chunk that ends mid-line continues on the same line next time (the
--- buffer's last line is the unfinished one, empty after a newline).
function M.append(buf, text)
  if not vim.api.nvim_buf_is_valid(buf) then return end
  local lines = vim.split(text:gsub('\r\n', '\n'), '\n', { plain = true })
  local count = vim.api.nvim_buf_line_count(buf)
  local last = vim.api.nvim_buf_get_lines(buf, count - 1, count, false)[1] or ''
  lines[1] = last .. lines[1]
  vim.api.nvim_buf_set_lines(buf, count - 1, count, false, lines)
  M.follow(buf)
end

--- Appends one whole line (a status line of nhd's own).
function M.append_line(buf, line)
  if not vim.api.nvim_buf_is_valid(buf) then return end
  local count = vim.api.nvim_buf_line_count(buf)
  local last = vim.api.nvim_buf_get_lines(buf, count - 1, count, false)[1] or ''
  if last == '' then
    vim.api.nvim_buf_set_lines(buf, count - 1, count, false, { line, '' })
  else
    vim.api.nvim_buf_set_lines(buf, count, count, false, { line, '' })
  end
  M.follow(buf)
end

--- Keeps windows showing the buffer at its end.
function M.follow(buf)
  local count = vim.api.nvim_buf_line_count(buf)
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_buf(win) == buf and win ~= vim.api.nvim_get_current_win() then
      pcall(vim.api.nvim_win_set_cursor, win, { count, 0 })
    end
  end
end

--- `deployment/authors` → { kind = 'deployment', name = 'authors' }, or nil and a message.
function M.parse_workload(arg)
  if type(arg) ~= 'string' then return nil, 'expected KIND/NAME (e.g. deployment/authors)' end
  local kind, name = arg:match('^([%w]+)/([%w%.%-]+)$')
  if not kind then return nil, string.format('expected KIND/NAME (e.g. deployment/authors), got %q', arg) end
  return { kind = kind:lower(), name = name }
end

return M
