// The dialer contract (README, "What the dialer and the panel do") as functions any agent desktop can embed.
// No function here throws and none blocks a dial: the backend's answer adds to the call, it never gates it.
import { classify } from "./emergency-numbers.js";

export const PANEL_CONTROLS = Object.freeze(["deviceSettings", "endCall"]);

/**
 * createEmergencyClient({ baseUrl, apiPath, fetch, headers, emergencyTimeoutMs, timeoutMs, uuid, onConnection })
 * `apiPath`: "/api" for a dialer service holding a function key (the default), "/api/agent" for a browser signed
 * in as the agent (the same API behind App Service Authentication, as the agent panel uses it);
 * `headers` go with every request (a bearer token or a function key where the deployment needs one);
 * `onConnection(ok)` is told whenever the backend is reached or not.
 */
// crypto.randomUUID exists only in secure contexts (HTTPS, localhost): elsewhere a v4 id from getRandomValues,
// or Math.random as a last resort. An id must never be the reason a dial fails.
function randomId() {
  const c = globalThis.crypto;
  if (c?.randomUUID) return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (c?.getRandomValues) c.getRandomValues(bytes); else bytes.forEach((_, i) => { bytes[i] = Math.random() * 256; });
  bytes[6] = (bytes[6] & 0x0f) | 0x40; bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function createEmergencyClient(options = {}) {
  const {
    baseUrl = "", apiPath = "/api", fetch: fetchImpl = globalThis.fetch.bind(globalThis), headers = {},
    emergencyTimeoutMs = 400, timeoutMs = 3000, uuid = randomId,
    onConnection = () => {}, endAttempts = 3, retryDelayMs = 500, answerTimeoutMs = 10_000,
  } = options;

  // `keepalive`: the request outlives the page (End call, then the tab closed at once).
  async function request(method, path, body, limitMs = timeoutMs, { keepalive = false } = {}) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), limitMs);
    try {
      const response = await fetchImpl(baseUrl + path, {
        method, signal: controller.signal, credentials: "same-origin", ...(keepalive ? { keepalive } : {}),
        headers: { Accept: "application/json", ...(body === undefined ? {} : { "Content-Type": "application/json" }),
                   ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      let data = null;
      try { data = await response.json(); } catch { data = null; }
      onConnection(true);
      // The server's now (RFC 3339), where the answer says it: what a countdown runs on, not the screen's clock.
      const serverNow = response.headers?.get?.("X-Server-Now") ?? null;
      return { ok: response.ok, status: response.status, body: data, serverNow };
    } catch (error) {
      onConnection(false);
      return { ok: false, status: 0, body: null, error: error?.name === "AbortError" ? "timeout" : "network" };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Report the number before it is dialed and race the answer against a time limit (short for an emergency
   * number). Resolves, never rejects, with an answer that always says dial: the backend's when it came in time,
   * else one built here from the browser's own recognition of the number, with `late` (a promise of the
   * backend's answer or null) so the panel can show the callback number when it comes.
   */
  async function beforeDial({ agentId, number, countryCode = null, location = null, held = null }) {
    const local = classify(number, countryCode);
    // A pre-dial hold the backend confirmed (preDial below): the dial claims its number under the same id.
    const emergencyCallId = held ?? uuid();
    const body = { agentId, dialedNumber: number, countryCode, emergencyCallId,
                   ...(held ? { preDialed: true } : {}), ...(location ? { location } : {}) };
    const pending = request("POST", `${apiPath}/outbound-calls`, body, Math.max(timeoutMs, answerTimeoutMs));
    const late = pending.then((r) => (r.ok && r.body ? withDial(r.body) : null));
    const limit = local.emergency ? emergencyTimeoutMs : timeoutMs;
    let timer;
    const timeUp = new Promise((resolve) => { timer = setTimeout(() => resolve({ ok: false, error: "timeout" }), limit); });
    const raced = await Promise.race([pending, timeUp]);
    clearTimeout(timer);
    if (raced.ok && raced.body) return { ...withDial(raced.body), source: "backend", local };
    const warning = raced.error === "timeout" ? "backend_timeout" : raced.error ? "backend_unreachable"
      : `backend_${raced.status}`;
    return {
      dial: true, emergency: local.emergency, test: local.test,
      emergencyCallId: local.emergency ? emergencyCallId : null, callerId: null, callbackNumber: null,
      panel: local.emergency ? { controls: [...PANEL_CONTROLS] } : null,
      warnings: [{ code: warning, message: "the backend did not answer in time; the call is placed anyway" }],
      source: "browser", local, late,
    };
  }

  /**
   * The agent has typed an emergency number and not pressed Call yet: the backend holds the callback number the
   * dial will claim (a pre-dial hint), so the dial's answer comes without the lease's slowest step. Resolves with
   * the id to dial with (pass it to beforeDial as `held`) when the backend holds a number, else null; never
   * rejects. Nothing is recorded or announced for a hint; a hold no dial claims lapses after two minutes.
   */
  async function preDial({ agentId, number, countryCode = null, emergencyCallId = uuid() }) {
    if (!classify(number, countryCode).emergency) return null;
    const r = await request("POST", `${apiPath}/outbound-calls/${encodeURIComponent(emergencyCallId)}/pre-dial`,
      { agentId, dialedNumber: number, countryCode });
    return r.ok && r.body?.preDial === true ? emergencyCallId : null;
  }

  /** Report the placed call's ACS ids, so that ACS's CallEnded is known as this emergency call. */
  function callIds(emergencyCallId, { agentId, serverCallId = null, correlationId = null }) {
    return request("POST", `${apiPath}/outbound-calls/${encodeURIComponent(emergencyCallId)}/call-ids`,
      { agentId, serverCallId, correlationId });
  }

  /** The hang-up (safe to repeat): retried on a 5xx or a lost connection, `endAttempts` times at most. */
  async function end(emergencyCallId, { agentId, dialedNumber = null, countryCode = null }) {
    let result = null;
    for (let attempt = 1; attempt <= endAttempts; attempt += 1) {
      result = await request("POST", `${apiPath}/outbound-calls/${encodeURIComponent(emergencyCallId)}/end`,
        { agentId, dialedNumber, countryCode }, timeoutMs, { keepalive: true });
      if (result.ok || (result.status >= 400 && result.status < 500)) return result;
      await sleep(retryDelayMs * attempt);
    }
    return result;
  }

  /**
   * Poll the panel state every `intervalMs`; onState(state, serverNow) on each answer (`serverNow`: the answer's
   * X-Server-Now, or null). Returns stop().
   */
  function watchPanel(agentId, onState, { intervalMs = 1000 } = {}) {
    let stopped = false;
    let timer = null;
    const tick = async () => {
      const r = await request("GET", `${apiPath}/agents/${encodeURIComponent(agentId)}/emergency-state`);
      if (stopped) return;
      if (r.ok && r.body) onState(r.body, r.serverNow);
      timer = setTimeout(tick, intervalMs);
    };
    tick();
    return () => { stopped = true; clearTimeout(timer); };
  }

  return { request, apiPath, preDial, beforeDial, callIds, end, watchPanel, newCallId: uuid };
}

function withDial(answer) {
  return { ...answer, dial: true };
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
