// Which calling adapter the panel uses. The reference panel runs on the simulated one (local stack, demo, tests).
// To place real calls, bundle @azure/communication-calling with the desktop and return the ACS adapter instead:
//   import { createAcsCalling } from "./acs.js";
//   return createAcsCalling({ callClient: new CallClient(), tokenCredential, displayName });
// (README, "The agent panel": where the ACS token comes from.)
import { createSimulatedCalling } from "./simulated.js";

export function chooseCalling() {
  return globalThis.agentPanelCalling ?? createSimulatedCalling();
}
