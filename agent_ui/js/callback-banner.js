// The responder's callback ringing for her: the banner (who is calling, Answer callback) and the answer itself.
//
// Two signals ring it: the calling adapter's incoming call (ACS's call agent), and the backend's emergency-state
// (`callback`: the callback it routed to her, with the ring's `id` and the number calling, `from`). On the backend's
// word the adapter is asked to ring (the simulated adapter does; on ACS the redirected call comes by itself), and
// Answer takes the incoming call, waiting a moment for it when it has not reached the browser yet. A ring she
// answered is never shown again, however long the backend still says it rings.
import { $ } from "./dom.js";
import { callerWords } from "./callback-words.js";
import { clear, show, showWith } from "./text.js";

const WAIT_FOR_CALL_MS = 5000;

/**
 * `calling`: the adapter; `serverNow()`: the server's clock (a Date); `onAnswered({id, from})`: the call she took;
 * `busy()`: true while she is on a call (no banner takes the focus from it). Answers { fromState, answer }.
 */
export function createCallbackBanner({ calling, serverNow, onAnswered, busy = () => false }) {
  let incoming = null; // the adapter's ringing call
  let routed = null; // the backend's ringing callback
  let answering = false;
  let answeredUntil = 0; // server time of her last answer: a ring that came before it is the one she took
  const answered = new Set();
  const waiters = new Set();

  calling.onIncomingCall((call) => {
    if (call.callbackId && answered.has(call.callbackId)) return;
    incoming = call;
    waiters.forEach((resolve) => resolve(call));
    render();
  });
  $("answer-callback").addEventListener("click", answer);

  /** The backend's `callback` of an emergency-state answer (or null). */
  function fromState(callback) {
    const ringing = callback?.status === "ringing" && !answered.has(callback.id)
      && !(Date.parse(callback.at) <= answeredUntil) ? callback : null;
    routed = ringing;
    if (ringing) calling.routedCallback?.({ id: ringing.id, from: ringing.from ?? null });
    else if (incoming?.callbackId) incoming = null; // rung on the backend's word, which no longer says it rings
    render();
  }

  function render() {
    const on = !!(incoming || routed);
    const wasHidden = $("ringing").hidden;
    const hadFocus = $("ringing").contains(document.activeElement);
    const from = routed?.from ?? incoming?.from ?? null;
    if (on) showWith($("ringing-from"), () => callerWords(from));
    if (!on) clear($("ringing-status"));
    $("ringing").hidden = !on;
    if (on && wasHidden && !busy()) $("answer-callback").focus();
    if (!on && hadFocus) $(busy() ? "end-call" : "number").focus(); // the focus never falls out of the page
  }

  async function answer() {
    if (answering || !(incoming || routed)) return;
    answering = true;
    try {
      const call = incoming ?? await nextIncoming();
      if (!call) { // the backend routed it, yet it has not reached this browser: she may take it on her phone
        show($("ringing-status"), "ringing.notReached");
        return;
      }
      show($("ringing-status"), "ringing.connecting");
      const from = routed?.from ?? call.from ?? null;
      const accepted = await call.accept();
      for (const id of [routed?.id, call.callbackId]) if (id) answered.add(id);
      answeredUntil = serverNow().getTime();
      incoming = null;
      routed = null;
      render();
      onAnswered({ id: accepted.id ?? call.id, from });
    } finally {
      answering = false;
    }
  }

  function nextIncoming() {
    return new Promise((resolve) => {
      const done = (call) => { waiters.delete(done); clearTimeout(timer); resolve(call); };
      const timer = setTimeout(() => done(null), WAIT_FOR_CALL_MS);
      waiters.add(done);
    });
  }

  return { fromState, answer };
}
