-- Beamtalk in Neovim: `.bt` files get the `beamtalk` filetype and `beamtalk lsp` as their language
-- server (diagnostics, completion, hover, go to definition, references, symbols, rename, formatting),
-- plus commands that evaluate, load and test in the project's live workspace.
--
--   require("beamtalk").setup()                          -- defaults
--   require("beamtalk").setup({ cmd = { "beamtalk", "lsp", "-w", "dev" }, load_on_save = true })
--
-- Works with Neovim 0.7 (vim.lsp.start_client) and later (vim.lsp.start, 0.8+).

local M = {}

local defaults = {
  cmd = { "beamtalk", "lsp" },
  -- Load a saved file into the workspace (hot reload of its classes).
  load_on_save = false,
  -- Format with `beamtalk fmt`'s layout before saving.
  format_on_save = false,
}

local config = vim.deepcopy(defaults)

-- The project directory: the nearest one up with a beamtalk.toml, else a .git, else the file's own.
local function root_dir(path)
  local dir = vim.fn.fnamemodify(path, ":p:h")
  local found = vim.fn.findfile("beamtalk.toml", dir .. ";")
  if found ~= "" then
    return vim.fn.fnamemodify(found, ":p:h")
  end
  local git = vim.fn.finddir(".git", dir .. ";")
  if git ~= "" then
    return vim.fn.fnamemodify(git, ":p:h:h")
  end
  return dir
end

local function client_for(bufnr)
  for _, client in pairs(vim.lsp.buf_get_clients(bufnr)) do
    if client.name == "beamtalk" then
      return client
    end
  end
end

-- Runs a `beamtalk.*` command of the server and shows its answer.
local function command(name, arguments)
  local client = client_for(0)
  if not client then
    vim.notify("beamtalk: no language server attached to this buffer", vim.log.levels.ERROR)
    return
  end
  client.request("workspace/executeCommand", { command = name, arguments = arguments }, function(err, result)
    if err then
      vim.notify("beamtalk: " .. err.message, vim.log.levels.ERROR)
    elseif result then
      local text = (result.output or "") .. result.value
      vim.notify(text, result.error and vim.log.levels.ERROR or vim.log.levels.INFO)
    end
  end, 0)
end

local function start(bufnr)
  local path = vim.api.nvim_buf_get_name(bufnr)
  local spec = {
    name = "beamtalk",
    cmd = config.cmd,
    root_dir = root_dir(path),
    init_options = { loadOnSave = config.load_on_save },
  }
  if vim.lsp.start then
    vim.lsp.start(spec, { bufnr = bufnr })
  else
    -- Neovim 0.7: one client per root, attached to each buffer of it.
    M.clients = M.clients or {}
    local id = M.clients[spec.root_dir]
    if not id or not vim.lsp.get_client_by_id(id) then
      id = vim.lsp.start_client(spec)
      M.clients[spec.root_dir] = id
    end
    vim.lsp.buf_attach_client(bufnr, id)
  end
  vim.bo[bufnr].omnifunc = "v:lua.vim.lsp.omnifunc"
  if config.format_on_save then
    vim.api.nvim_create_autocmd("BufWritePre", {
      buffer = bufnr,
      callback = function()
        if vim.lsp.buf.format then
          vim.lsp.buf.format({ bufnr = bufnr })
        else
          vim.lsp.buf.formatting_sync()
        end
      end,
    })
  end
end

function M.setup(opts)
  config = vim.tbl_deep_extend("force", vim.deepcopy(defaults), opts or {})
  local group = vim.api.nvim_create_augroup("beamtalk", { clear = true })
  vim.api.nvim_create_autocmd({ "BufRead", "BufNewFile" }, {
    group = group,
    pattern = "*.bt",
    callback = function(args)
      vim.bo[args.buf].filetype = "beamtalk"
    end,
  })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = "beamtalk",
    callback = function(args)
      start(args.buf)
    end,
  })
  -- :BeamtalkEval evaluates the selected lines (or the current one) in the workspace.
  vim.api.nvim_create_user_command("BeamtalkEval", function(c)
    local lines = vim.api.nvim_buf_get_lines(0, c.line1 - 1, c.line2, false)
    command("beamtalk.eval", { table.concat(lines, "\n") })
  end, { range = true })
  vim.api.nvim_create_user_command("BeamtalkLoad", function()
    command("beamtalk.load", { vim.uri_from_bufnr(0) })
  end, {})
  -- :BeamtalkTest runs the TestCase class under the cursor.
  vim.api.nvim_create_user_command("BeamtalkTest", function()
    local pos = vim.api.nvim_win_get_cursor(0)
    command("beamtalk.test", { vim.uri_from_bufnr(0), { line = pos[1] - 1, character = pos[2] } })
  end, {})
end

return M
