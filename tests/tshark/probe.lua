-- SPDX-License-Identifier: GPL-2.0-or-later
-- Loaded into tshark by tests/tshark/tshark_run.py, so that ONE tshark run
-- reports, besides its `-T fields` output on stdout:
--   @X <frame> <field>   one line per tcpstate.analysis.* expert item on the
--                        frame (every registered expert field is watched)
--   @F <i> <frame>       the frame passes display filter number i
--   @E <i> <message>     display filter number i does not compile
--   @P                   the script ran (so a missing report means nothing)
-- on stderr. The filters come as script arguments:
--   tshark -X lua_script:probe.lua -X "lua_script1:tcpstate.changed" ...
-- A tap's filter is compiled and run by the same display-filter engine as
-- -Y, on the same pass: tshark runs taps in its only pass, or in the second
-- pass under -2 (the pass -Y and the printed fields come from).
local filters = {...}
local out = io.stderr
local prefix = "tcpstate.analysis."

local experts = {}
for _, name in ipairs(Field.list()) do
  if name:sub(1, #prefix) == prefix then
    experts[#experts + 1] = { name = name, field = Field.new(name) }
  end
end

local every = Listener.new(nil, nil)
function every.packet(pinfo)
  for _, e in ipairs(experts) do
    for _ in ipairs({ e.field() }) do
      out:write(string.format("@X %d %s\n", pinfo.number, e.name))
    end
  end
end

for i, filter in ipairs(filters) do
  local ok, tap = pcall(Listener.new, nil, filter)
  if ok then
    function tap.packet(pinfo)
      out:write(string.format("@F %d %d\n", i, pinfo.number))
    end
  else
    out:write(string.format("@E %d %s\n", i, (tostring(tap):gsub("\n", " "))))
  end
end
out:write("@P\n")
