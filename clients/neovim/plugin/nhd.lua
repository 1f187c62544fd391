-- Defines :Nhd. Nothing starts until require('nhd').setup() or the first :Nhd command.
if vim.g.loaded_nhd then return end
vim.g.loaded_nhd = true

vim.api.nvim_create_user_command('Nhd', function(opts)
  require('nhd.commands').run(opts.args)
end, {
  nargs = '*',
  desc = 'nhd: dev mode, sync, run, exec, port-forward and logs on Kubernetes',
  complete = function(arglead, cmdline, cursorpos)
    return require('nhd.commands').complete(arglead, cmdline, cursorpos)
  end,
})
