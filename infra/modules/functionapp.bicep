// Function App on the Flex Consumption plan (Linux, Python 3.11) with a system-assigned identity.
// App settings: the names the code reads (shared/config.py SETTINGS), identity forms instead of keys.

param name string
param planName string
param location string
param tags object
param storageAccountName string
param deploymentContainerName string
param acsName string
param customTopicName string
param appInsightsName string
param emailSenderAddress string

@description('E.164 number of the ACS resource that sends emergency SMS; empty: no SMS.')
param smsSenderNumber string

@description('E.164 number of the ACS resource (calling enabled) that escalation voice calls come from; empty: the SMS sender number.')
param voiceCallerId string = ''

@description('Azure AI services endpoint connected to ACS, for the text-to-speech of escalation calls; empty: none.')
param cognitiveServicesEndpoint string = ''

@description('Public base URL of the app when it has a custom domain; empty: https://<default host name>.')
param publicBaseUrl string = ''

@description('ACS identity (8:acs:...) that takes callbacks to pool numbers with no live lease.')
param callbackFallbackTarget string

@description('Semicolon-separated email addresses notified of an emergency call whose agent\'s own recipients are unknown; empty: nobody.')
param fallbackEmailRecipients string

param callbackWindowMinutes int
param callbackQuarantineMinutes int
param maxEmergencyCallMinutes int
param leasePoolNumberOnDirectOffer bool
param routingEngine string
param incomingCallMaxAgeSeconds int
param incidentRetentionDays int

@description('Readiness fails an agent whose last passed 933 drill is older than this many days.')
param drillMaxAgeDays int = 90

@description('Always-ready instances for the callback path (inbound_callback) and the HTTP group (dialer).')
param alwaysReadyInstances int

param maximumInstanceCount int
param instanceMemoryMB int

@description('Spread the plan over availability zones (the region must support it for Flex Consumption).')
param zoneRedundant bool = true

@description('Application (client) id of the Entra app registration that signs admins in and defines the app roles EmergencyCalling.Admin and EmergencyCalling.Auditor.')
param authClientId string

@description('Entra tenant of that app registration.')
param authTenantId string = tenant().tenantId

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource acs 'Microsoft.Communication/communicationServices@2023-04-01' existing = {
  name: acsName
}

resource customTopic 'Microsoft.EventGrid/topics@2022-06-15' existing = {
  name: customTopicName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// Flex Consumption scales each non-HTTP function on its own instances: the callback path (inbound_callback)
// never waits behind the notification path (emergency_notification), and HTTP functions scale as one group.
var alwaysReady = [
  {
    name: 'function:inbound_callback'
    instanceCount: alwaysReadyInstances
  }
  {
    name: 'http'
    instanceCount: alwaysReadyInstances
  }
]

// Every name the code reads (shared/config.py SETTINGS), except the two key forms that identity replaces:
// AzureWebJobsStorage -> AzureWebJobsStorage__accountName + TABLES_ENDPOINT, ACS_CONNECTION_STRING -> ACS_ENDPOINT.
// infra/settings-contract.json lists these; tests/infra checks it.
var appSettings = [
  {
    name: 'AzureWebJobsStorage__accountName'
    value: storage.name
  }
  {
    name: 'TABLES_ENDPOINT'
    value: storage.properties.primaryEndpoints.table
  }
  {
    name: 'ACS_ENDPOINT'
    value: 'https://${acs.properties.hostName}'
  }
  {
    name: 'ACS_EMAIL_SENDER'
    value: emailSenderAddress
  }
  {
    name: 'ACS_SMS_SENDER'
    value: smsSenderNumber
  }
  {
    name: 'VOICE_CALLER_ID'
    value: voiceCallerId
  }
  {
    // Call Automation's callbacks (voice escalation) carry a JWT whose audience is this id.
    name: 'ACS_IMMUTABLE_RESOURCE_ID'
    value: acs.properties.immutableResourceId
  }
  {
    name: 'ACS_COGNITIVE_SERVICES_ENDPOINT'
    value: cognitiveServicesEndpoint
  }
  {
    name: 'PUBLIC_BASE_URL'
    value: publicBaseUrl
  }
  {
    name: 'EVENTGRID_TOPIC_ENDPOINT'
    value: customTopic.properties.endpoint
  }
  {
    // Events are believed only from where they come from (the `topic` Event Grid stamps on each delivery).
    name: 'EVENTGRID_TOPIC_RESOURCE_ID'
    value: customTopic.id
  }
  {
    name: 'ACS_RESOURCE_ID'
    value: acs.id
  }
  {
    name: 'TEST_CALLBACK_WINDOW_MINUTES'
    value: '5'
  }
  {
    name: 'EVENTGRID_TOPIC_KEY'
    value: '' // empty: publish with the app's identity (EventGrid Data Sender); the topic has no keys
  }
  {
    name: 'CALLBACK_WINDOW_MINUTES'
    value: string(callbackWindowMinutes)
  }
  {
    name: 'CALLBACK_QUARANTINE_MINUTES'
    value: string(callbackQuarantineMinutes)
  }
  {
    name: 'MAX_EMERGENCY_CALL_MINUTES'
    value: string(maxEmergencyCallMinutes)
  }
  {
    name: 'LEASE_POOL_NUMBER_ON_DIRECT_OFFER'
    value: leasePoolNumberOnDirectOffer ? 'true' : 'false'
  }
  {
    name: 'ROUTING_ENGINE'
    value: routingEngine
  }
  {
    name: 'INCOMING_CALL_MAX_AGE_SECONDS'
    value: string(incomingCallMaxAgeSeconds)
  }
  {
    name: 'CALLBACK_FALLBACK_TARGET'
    value: callbackFallbackTarget
  }
  {
    // The security desk, told of an emergency call whose agent nobody configured (a signed-in user whom no
    // profile names, or an unknown agent id): Kari's Law wants the notification to go where someone sees it.
    name: 'FALLBACK_EMAIL_RECIPIENTS'
    value: fallbackEmailRecipients
  }
  {
    name: 'INCIDENT_RETENTION_DAYS'
    value: string(incidentRetentionDays)
  }
  {
    name: 'DRILL_MAX_AGE_DAYS'
    value: string(drillMaxAgeDays)
  }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    value: appInsights.properties.ConnectionString
  }
  {
    // Read by the host and by the Azure Monitor exporter: ingest with the system-assigned identity
    // (Monitoring Metrics Publisher), as the component accepts no instrumentation key alone (DisableLocalAuth).
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
    value: 'Authorization=AAD'
  }
  {
    // App Service Authentication (authSettings below) strips forged X-MS-CLIENT-PRINCIPAL headers: only then does
    // the app believe them (shared/auth.py; without this setting /api/manage answers 401 to everyone).
    name: 'PRINCIPAL_HEADERS_TRUSTED'
    value: 'app-service-authentication'
  }
  {
    // Telemetry: the Python worker configures Azure Monitor itself (configure_azure_monitor with the connection
    // string above, logger "" = root) before it imports function_app.py, and attaches the host's trace context to
    // each invocation, so the app's spans and logs join the function's request (operation_Id). The app's
    // shared/telemetry.configure() then puts its scrubbing processors ahead of the worker's exporters; it configures
    // Azure Monitor itself only where the worker did not. 4.x workers (azure_functions_worker/dispatcher.py) do
    // this on PYTHON_ENABLE_OPENTELEMETRY; newer worker runtimes on PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY, and
    // there PYTHON_ENABLE_OPENTELEMETRY only propagates the trace context. Both are set so either worker configures
    // once. docs/operations.md, "Where the telemetry goes".
    name: 'PYTHON_ENABLE_OPENTELEMETRY'
    value: 'true'
  }
  {
    name: 'PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY'
    value: 'true'
  }
]

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
    zoneRedundant: zoneRedundant
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    //checkov:skip=CKV_AZURE_222:Event Grid, the dialers and the admin page reach the app over its public HTTPS endpoint (no VNet in this template).
    //checkov:skip=CKV_AZURE_17:Callers are browsers (dialer, admin page) and Event Grid, which present no client certificate.
    //checkov:skip=CKV_AZURE_212:numberOfWorkers is for dedicated plans; Flex Consumption keeps alwaysReady instances and scales out itself.
    //checkov:skip=CKV_AZURE_213:No health-check path on Flex Consumption; liveness is watched by the alerts in alerts.bicep.
    serverFarmId: plan.id
    httpsOnly: true
    publicNetworkAccess: 'Enabled'
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: appSettings
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        alwaysReady: alwaysReadyInstances > 0 ? alwaysReady : []
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

// Paths that callers reach without a sign-in: the dialer's and agent tools' function-key APIs, Event Grid's
// webhook (system key), and the acknowledgement links of the emergency notifications (/api/ack/{token}: the
// recipient may be a guard without an account; the unguessable token is the capability), and Call Automation's
// callbacks (/api/voice/events/{token}/{attempt}: ACS signs in nowhere; each request's JWT is checked by the app against ACS's
// published keys), and the API description (/api/openapi.json: no secret in it). Everything else, the admin
// page and /api/manage/* among them, requires sign-in.
// Keep this list in step with the FUNCTION-level routes and the capability routes in functions/ (tests/infra checks).
var anonymousPaths = [
  '/api/outbound-calls'
  '/api/outbound-calls/*'
  '/api/agents/*'
  '/api/ack/*'
  '/api/voice/events/*'
  '/api/openapi.json'
  '/runtime/webhooks/EventGrid'
]

// App Service Authentication: signs admins in with Entra ID and hands the app their roles in X-MS-CLIENT-PRINCIPAL
// (stripping any forged copy). Sign-in is required except on anonymousPaths; the /api/manage/* functions still
// answer 401/403 themselves from the principal's app roles.
resource authSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  //checkov:skip=CKV_AZURE_13:This resource is the authentication setting; checkov reads every sites/config as the web config.
  //checkov:skip=CKV_AZURE_63:Not web config (see above); the app's logs go to Application Insights.
  //checkov:skip=CKV_AZURE_65:Not web config (see above).
  //checkov:skip=CKV_AZURE_66:Not web config (see above).
  //checkov:skip=CKV_AZURE_80:Not web config (see above); the app is Python, no .NET Framework.
  //checkov:skip=CKV_AZURE_88:Not web config (see above); Flex Consumption keeps no content on Azure Files.
  //checkov:skip=CKV_AZURE_222:Not web config (see above); public access is decided on the site, suppressed there with its reason.
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'RedirectToLoginPage'
      redirectToProvider: 'azureactivedirectory'
      excludedPaths: anonymousPaths
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: authClientId
          openIdIssuer: 'https://login.microsoftonline.com/${authTenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${authClientId}'
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: true
      }
    }
  }
}

// Deployment uses Entra ID (az / func with your login), never the FTP or SCM basic-auth publishing credentials.
resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = site.name
output id string = site.id
output principalId string = site.identity.principalId
output defaultHostName string = site.properties.defaultHostName
