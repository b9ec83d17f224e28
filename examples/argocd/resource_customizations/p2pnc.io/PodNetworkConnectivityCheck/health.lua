-- Argo CD health of a p2pnc PodNetworkConnectivityCheck, read from the conditions `p2pnc source` writes:
--   Stale=True        Degraded: no source has probed the check for long, so its Reachable is old news
--   Reachable=True    Healthy, unless Degraded=True: Degraded, "packet loss: " and its figure (probes fail
--                     intermittently; the path works, badly)
--   Reachable=False   Degraded, with the failure message (a confirmed outage, or an invalid check)
--   Reachable=Unknown Progressing: a first failure, waiting for the retry that confirms or clears it
--   no Reachable yet  Progressing: waiting for the first probe result
local hs = {}
local reachable = nil
local stale = nil
local lossy = nil
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, condition in ipairs(obj.status.conditions) do
    if condition.type == "Reachable" then
      reachable = condition
    elseif condition.type == "Stale" and condition.status == "True" then
      stale = condition
    elseif condition.type == "Degraded" and condition.status == "True" then
      lossy = condition
    end
  end
end

local function describe(condition)
  if condition.message ~= nil and condition.message ~= "" then
    return condition.message
  end
  return condition.reason or ""
end

if stale ~= nil then
  hs.status = "Degraded"
  hs.message = describe(stale)
elseif reachable == nil then
  hs.status = "Progressing"
  hs.message = "waiting for the first probe result"
elseif reachable.status == "True" and lossy ~= nil then
  hs.status = "Degraded"
  hs.message = "packet loss: " .. describe(lossy)
elseif reachable.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(reachable)
elseif reachable.status == "False" then
  hs.status = "Degraded"
  hs.message = describe(reachable)
else
  hs.status = "Progressing"
  hs.message = "confirming a failure: " .. describe(reachable)
end
return hs
