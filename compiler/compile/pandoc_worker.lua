-- Chapbook's pandoc worker: one long-lived `pandoc lua` process for a whole book.
-- Reads one JSON request per line on stdin, answers one JSON line on stdout, in order:
--   {"op":"read","format":"commonmark_x","text":"..."}   -> the document's JSON AST
--   {"op":"write","format":"html","options":{...}} and, on the next line, the document's JSON AST
--                                                         -> {"text":"..."}
-- A failure answers {"error":"..."}; the process goes on with the next request.
local json = pandoc.json

local lines = io.lines()

local function handle(line)
  local req = json.decode(line, false)
  if req.op == "read" then
    -- pandoc's own JSON writer/reader work on the Haskell values: no Lua marshalling of the tree
    return pandoc.write(pandoc.read(req.text, req.format), "json")
  elseif req.op == "write" then
    local doc = pandoc.read(lines(), "json")
    local text = pandoc.write(doc, req.format, req.options or {})
    return json.encode({text = text})
  end
  error("unknown op " .. tostring(req.op))
end

io.stdout:setvbuf("full")
for line in lines do
  local ok, result = pcall(handle, line)
  if not ok then
    result = json.encode({error = tostring(result)})
  end
  io.stdout:write(result, "\n")
  io.stdout:flush()
end
