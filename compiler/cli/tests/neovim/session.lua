-- Run by tests/lsp_neovim.rs in `nvim --headless`: loads the set-up of
-- docs/editors.md (editors/neovim/pipec.lua), opens a .pipe file, and
-- writes to $PIPEC_OUT what the built-in LSP client got: the diagnostics, a
-- hover, and the document a go-to-definition into the standard library
-- opened.
local out = assert(io.open(os.getenv("PIPEC_OUT"), "w"))
local function say(fmt, ...)
  out:write(string.format(fmt, ...), "\n")
  out:flush()
end

-- Whatever fails, Neovim quits: a headless instance would wait forever.
local function session()
  vim.g.pipec_path = os.getenv("PIPEC")
  dofile(os.getenv("PIPEC_PLUGIN"))

  -- Count publications, to know when the server has spoken.
  local published = {}
  local default = vim.lsp.handlers["textDocument/publishDiagnostics"]
  vim.lsp.handlers["textDocument/publishDiagnostics"] = function(err, result, ctx, config)
    published[result.uri] = (published[result.uri] or 0) + 1
    return default(err, result, ctx, config)
  end

  vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("PIPEC_FILE")))
  local buf = vim.api.nvim_get_current_buf()
  local uri = vim.uri_from_bufnr(buf)
  say("filetype %s", vim.bo[buf].filetype)
  local ok = vim.wait(60000, function()
    return (published[uri] or 0) > 0
  end, 50)
  say("published %s", tostring(ok))
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or "?"
    local first = d.message:gsub("\n.*", "")
    say("diagnostic %d:%d %s %s", d.lnum + 1, d.col + 1, code, first)
  end

  local function position(env)
    return {
      textDocument = { uri = uri },
      position = { line = tonumber(os.getenv(env .. "_LINE")), character = tonumber(os.getenv(env .. "_COL")) },
    }
  end

  for _, res in pairs(vim.lsp.buf_request_sync(buf, "textDocument/hover", position("PIPEC_HOVER"), 30000) or {}) do
    if res.result then
      local text = res.result.contents.value:gsub("\n", " ")
      say("hover %s", text)
    end
  end

  for _, res in pairs(vim.lsp.buf_request_sync(buf, "textDocument/definition", position("PIPEC_DEFINITION"), 30000) or {}) do
    if res.result then
      vim.lsp.util.jump_to_location(res.result, "utf-16")
      say("jumped %s", vim.api.nvim_buf_get_name(0))
      say("line %s", vim.api.nvim_get_current_line())
      say("modifiable %s", tostring(vim.bo.modifiable))
    end
  end
end

local ok, err = xpcall(session, debug.traceback)
if not ok then
  say("error %s", err)
end
out:close()
vim.cmd(ok and "qa!" or "cq!")
