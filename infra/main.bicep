// Emergency calls backend on Azure: Function App (Flex Consumption), Storage, Communication Services with Email,
// Event Grid, monitoring and alerts. Deploy with infra/deploy.sh: stage 1 with deploySubscriptions=false,
// stage 2 publishes the code, stage 3 deploys again with deploySubscriptions=true (README.md).
targetScope = 'resourceGroup'

@description('Short name in every resource name: 3-11 lowercase letters and digits.')
@minLength(3)
@maxLength(11)
param appName string = 'emcall'

@description('Region of the regional resources (Function App, storage, monitoring, custom topic).')
param location string = resourceGroup().location

@description('Geography where Communication Services and Email keep data at rest.')
@allowed([
  'United States'
  'Europe'
  'UK'
  'Australia'
  'Canada'
])
param dataLocation string = 'United States'

@description('Stage 3 only: create the Event Grid subscriptions (the functions must exist first).')
param deploySubscriptions bool = false

@description('Callback pool numbers (E.164, e.g. +12025550101): IncomingCall events to them reach inbound_callback.')
param callbackPoolNumbers array = []

@description('ACS user ids (8:acs:...) of agents whose direct-offer callbacks inbound_callback records.')
param callbackAgentIds array = []

@description('ACS identity (8:acs:...) that takes callbacks to pool numbers with no live lease.')
param callbackFallbackTarget string

@description('Semicolon-separated email addresses (the security desk) notified of an emergency call whose agent\'s own recipients are unknown (a signed-in agent no profile names); empty: nobody.')
param fallbackEmailRecipients string = ''

@description('E.164 number of this ACS resource that sends emergency SMS; empty: email only.')
param smsSenderNumber string = ''

@description('E.164 number of this ACS resource (calling enabled) that escalation voice calls come from; empty: smsSenderNumber.')
param voiceCallerId string = ''

@description('Azure AI services endpoint connected to ACS (text-to-speech of escalation calls); empty: no voice escalation.')
param cognitiveServicesEndpoint string = ''

@description('Public base URL of the app when it has a custom domain (acknowledgement links, Call Automation callbacks); empty: its default host name.')
param publicBaseUrl string = ''

@description('E-mail address for Azure Monitor alerts; empty: no notification.')
param alertEmail string = ''

@description('Alert when a region has fewer free callback numbers than this.')
@minValue(1)
param poolFreeThreshold int = 2

@minValue(1)
param callbackWindowMinutes int = 60

@minValue(0)
param callbackQuarantineMinutes int = 10

@minValue(1)
param maxEmergencyCallMinutes int = 240

@description('On the direct-offer path the responder sees the emergency service\'s temporary number; true: still lease a pool number the agent can read out.')
param leasePoolNumberOnDirectOffer bool = false

@description('What presence reaches: event (Emergency.PresenceChanged on the custom topic, for the contact center\'s routing engine) or none. jobrouter is not offered here: JobRouterClient 1.0.0 takes only an access key, and this deployment is keyless (infra/README.md).')
@allowed([
  'none'
  'event'
])
param routingEngine string = 'none'

@description('IncomingCall events older than this are dropped (a call rings 30 s).')
@minValue(1)
@maxValue(30)
param incomingCallMaxAgeSeconds int = 20

@minValue(1)
param incidentRetentionDays int = 30

@description('Always-ready instances for inbound_callback and for the HTTP group (dialer); 0 turns them off.')
@minValue(0)
@maxValue(10)
param alwaysReadyInstances int = 1

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Storage redundancy. GZRS: zone and geo copies of the leases and records; LRS/ZRS where GZRS is not offered.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSku string = 'Standard_GZRS'

@description('Zone-redundant Flex Consumption plan; set false in a region without availability zones.')
param zoneRedundant bool = true

@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

param tags object = {}

@description('Application (client) id of the Entra app registration for admin sign-in, with the app roles EmergencyCalling.Admin and EmergencyCalling.Auditor (see infra/README.md).')
param authClientId string

var suffix = take(uniqueString(resourceGroup().id, appName), 8)
var names = {
  storage: 'st${appName}${suffix}'
  plan: 'plan-${appName}-${suffix}'
  site: 'func-${appName}-${suffix}'
  acs: 'acs-${appName}-${suffix}'
  email: 'email-${appName}-${suffix}'
  workspace: 'log-${appName}-${suffix}'
  appInsights: 'appi-${appName}-${suffix}'
  customTopic: 'evgt-${appName}-${suffix}'
  systemTopic: 'evgst-acs-${appName}-${suffix}'
  alerts: '${appName}-${suffix}'
}
var deploymentContainerName = 'app-package'
var deadLetterContainerName = 'deadletters'
// The Functions host's own blob containers (identity-based AzureWebJobsStorage): the timer's schedule monitor and
// singleton locks in azure-webjobs-hosts, function and system keys in azure-webjobs-secrets.
var hostContainerNames = [
  'azure-webjobs-hosts'
  'azure-webjobs-secrets'
]

// The tables the app reads and writes (shared/adapters); the app also creates a missing one on first use.
var tables = [
  'agents'
  'presence'
  'callbacknumbers'
  'emergencycalls'
  'emergencycalllinks'
  'callhistory'
]

// IncomingCall is filtered on data.to.rawId: "4:" + E.164 for a phone number, the user id for an ACS user.
var poolRawIds = [for number in callbackPoolNumbers: '4:${number}']
var incomingCallTargets = concat(poolRawIds, callbackAgentIds)

var allTags = union(tags, {
  app: 'emergency-calls'
})

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    location: location
    tags: allTags
    retentionInDays: logRetentionInDays
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: names.storage
    location: location
    tags: allTags
    tables: tables
    deploymentContainerName: deploymentContainerName
    deadLetterContainerName: deadLetterContainerName
    hostContainerNames: hostContainerNames
    skuName: storageSku
  }
}

module communication 'modules/communication.bicep' = {
  name: 'communication'
  params: {
    acsName: names.acs
    emailServiceName: names.email
    tags: allTags
    dataLocation: dataLocation
  }
}

module eventGrid 'modules/eventgrid.bicep' = {
  name: 'eventgrid'
  params: {
    customTopicName: names.customTopic
    systemTopicName: names.systemTopic
    location: location
    tags: allTags
    acsName: communication.outputs.acsName
    workspaceId: monitoring.outputs.workspaceId
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    name: names.site
    planName: names.plan
    location: location
    tags: allTags
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    acsName: communication.outputs.acsName
    customTopicName: eventGrid.outputs.customTopicName
    appInsightsName: monitoring.outputs.appInsightsName
    emailSenderAddress: communication.outputs.emailSenderAddress
    smsSenderNumber: smsSenderNumber
    voiceCallerId: voiceCallerId
    cognitiveServicesEndpoint: cognitiveServicesEndpoint
    publicBaseUrl: publicBaseUrl
    callbackFallbackTarget: callbackFallbackTarget
    fallbackEmailRecipients: fallbackEmailRecipients
    callbackWindowMinutes: callbackWindowMinutes
    callbackQuarantineMinutes: callbackQuarantineMinutes
    maxEmergencyCallMinutes: maxEmergencyCallMinutes
    leasePoolNumberOnDirectOffer: leasePoolNumberOnDirectOffer
    routingEngine: routingEngine
    incomingCallMaxAgeSeconds: incomingCallMaxAgeSeconds
    incidentRetentionDays: incidentRetentionDays
    alwaysReadyInstances: alwaysReadyInstances
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    zoneRedundant: zoneRedundant
    authClientId: authClientId
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    appPrincipalId: functionApp.outputs.principalId
    topicPrincipalIds: [
      eventGrid.outputs.customTopicPrincipalId
      eventGrid.outputs.systemTopicPrincipalId
    ]
    storageAccountName: storage.outputs.name
    deadLetterContainerName: deadLetterContainerName
    appContainerNames: concat([
      deploymentContainerName
    ], hostContainerNames)
    acsName: communication.outputs.acsName
    customTopicName: eventGrid.outputs.customTopicName
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    namePrefix: names.alerts
    location: location
    tags: allTags
    appInsightsId: monitoring.outputs.appInsightsId
    workspaceId: monitoring.outputs.workspaceId
    alertEmail: alertEmail
    poolFreeThreshold: poolFreeThreshold
    callbackRedirectSlowMs: 10000
  }
}

// The operators' workbook (docs/operations.md), on the same Application Insights component as the alerts.
module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  params: {
    appInsightsId: monitoring.outputs.appInsightsId
    location: location
    tags: allTags
    displayName: 'Emergency calls - operations (${names.alerts})'
  }
}

module subscriptions 'modules/eventgrid-subscriptions.bicep' = if (deploySubscriptions) {
  name: 'eventgrid-subscriptions'
  params: {
    functionAppName: functionApp.outputs.name
    customTopicName: eventGrid.outputs.customTopicName
    systemTopicName: eventGrid.outputs.systemTopicName
    storageAccountName: storage.outputs.name
    deadLetterContainerName: deadLetterContainerName
    incomingCallTargets: incomingCallTargets
  }
  dependsOn: [
    roles
  ]
}

output functionAppName string = functionApp.outputs.name
output functionAppHostName string = functionApp.outputs.defaultHostName
output storageAccountName string = storage.outputs.name
output acsName string = communication.outputs.acsName
output emailSenderAddress string = communication.outputs.emailSenderAddress
output customTopicName string = eventGrid.outputs.customTopicName
output systemTopicName string = eventGrid.outputs.systemTopicName
output incomingCallSubscriptions int = deploySubscriptions ? max(1, (length(incomingCallTargets) + 24) / 25) : 0
