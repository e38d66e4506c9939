// Example parameters: copy this file, edit the values, and pass it to deploy.sh with --parameters.
// deploy.sh sets DEPLOY_SUBSCRIPTIONS for each stage; keep the line that reads it.
using 'main.bicep'

param appName = 'emcall'
param dataLocation = 'United States'
param deploySubscriptions = bool(readEnvironmentVariable('DEPLOY_SUBSCRIPTIONS', 'false'))

// The callback pool (E.164) and the agents whose direct-offer callbacks are recorded (ACS user ids).
// Together they feed the IncomingCall filter: 25 values per event subscription, more make more subscriptions.
param callbackPoolNumbers = [
  '+12025550101'
  '+12025550102'
]
param callbackAgentIds = []

// Who answers a callback to a pool number that has no live lease (an ACS user: supervisor or queue bot).
param callbackFallbackTarget = '8:acs:00000000-0000-0000-0000-000000000000_00000000-0000-0000-0000-000000000000'

// Who is emailed of an emergency call whose agent's own recipients are unknown (a signed-in agent whose user no
// profile names): the security desk, semicolon-separated.
param fallbackEmailRecipients = 'security-desk@example.com'

param smsSenderNumber = ''

// The Entra app registration that signs admins in (App Service Authentication) and defines the app roles.
param authClientId = '00000000-0000-0000-0000-000000000000'
param alertEmail = 'oncall@example.com'
param poolFreeThreshold = 2
param alwaysReadyInstances = 1
param storageSku = 'Standard_GZRS'
param zoneRedundant = true
param tags = {
  owner: 'contact-center'
}
