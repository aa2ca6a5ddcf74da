-- pipec in Neovim's built-in LSP client (Neovim 0.7 and later): .pipe files
-- get the filetype `pipe` and `pipec lsp` as their language server, and the
-- standard library's pipec-std: documents open read-only with the text the
-- server gives. Put this file on 'runtimepath' as plugin/pipec.lua, or run
-- it from init.lua (`dofile("/path/to/pipec.lua")`). `vim.g.pipec_path`
-- names the pipec command if it is not on PATH.

local cmd = { vim.g.pipec_path or "pipec", "lsp" }
-- Neovim 0.7 has no vim.lsp.start: one client per root, attached by hand.
local clients = {}

vim.api.nvim_create_autocmd({ "BufRead", "BufNewFile" }, {
  pattern = "*.pipe",
  callback = function(ev)
    vim.bo[ev.buf].filetype = "pipe"
  end,
})

-- The folder of the repository a file is in, or its own.
local function root_dir(buf)
  local file = vim.api.nvim_buf_get_name(buf)
  local dir = vim.fn.fnamemodify(file, ":p:h")
  local git = vim.fn.finddir(".git", dir .. ";")
  if git ~= "" then
    return vim.fn.fnamemodify(git, ":p:h:h")
  end
  return dir
end

local function start(buf)
  if vim.api.nvim_buf_get_name(buf):match("^pipec%-std:") then
    -- A standard-library document: attached to the client it came from.
    for _, id in pairs(clients) do
      vim.lsp.buf_attach_client(buf, id)
    end
    return
  end
  local root = root_dir(buf)
  if vim.lsp.start then
    clients[root] = vim.lsp.start({ name = "pipec", cmd = cmd, root_dir = root }, { bufnr = buf })
    return
  end
  if not clients[root] then
    clients[root] = vim.lsp.start_client({ name = "pipec", cmd = cmd, root_dir = root })
  end
  vim.lsp.buf_attach_client(buf, clients[root])
end

vim.api.nvim_create_autocmd("FileType", {
  pattern = "pipe",
  callback = function(ev)
    start(ev.buf)
  end,
})

-- pipec-std://std/python.pipe: asked of a running pipec client. (A
-- pattern without a slash would be matched against the tail of the name.)
vim.api.nvim_create_autocmd("BufReadCmd", {
  pattern = "pipec-std://*",
  callback = function(ev)
    local name = vim.api.nvim_buf_get_name(ev.buf)
    for _, id in pairs(clients) do
      local client = vim.lsp.get_client_by_id(id)
      if client then
        local r = client.request_sync("pipec/virtualDocument", { uri = name }, 10000, ev.buf)
        if r and r.result then
          vim.bo[ev.buf].modifiable = true
          vim.api.nvim_buf_set_lines(ev.buf, 0, -1, false, vim.split(r.result.text, "\n", { plain = true }))
          vim.bo[ev.buf].buftype = "nofile"
          vim.bo[ev.buf].modifiable = false
          vim.bo[ev.buf].filetype = "pipe"
          return
        end
      end
    end
  end,
})
