// Event Grid topics: a custom topic for the app's internal events (Emergency.CallStarted, ...) and the system
// topic on the ACS resource (IncomingCall, CallEnded, EmailDeliveryReportReceived). Both have a system-assigned
// identity, used to write dead letters to storage without a key. Their subscriptions are in
// eventgrid-subscriptions.bicep, deployed once the functions exist (deploy.sh, stage 3).

param customTopicName string
param systemTopicName string
param location string
param tags object
param acsName string

@description('Log Analytics workspace that receives delivery failures and metrics (DeadLetteredCount).')
param workspaceId string

resource acs 'Microsoft.Communication/communicationServices@2023-04-01' existing = {
  name: acsName
}

resource customTopic 'Microsoft.EventGrid/topics@2022-06-15' = {
  name: customTopicName
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    //checkov:skip=CKV_AZURE_193:The app publishes from Flex Consumption without VNet integration; publishing needs Entra ID (local auth disabled).
    inputSchema: 'EventGridSchema'
    publicNetworkAccess: 'Enabled'
    disableLocalAuth: true
  }
}

// ACS is a global resource, so is its system topic. One system topic per source: see README, known limits.
resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: systemTopicName
  location: 'global'
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: acs.id
    topicType: 'Microsoft.Communication.CommunicationServices'
  }
}

resource customTopicDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: customTopic
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

resource systemTopicDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: systemTopic
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

output customTopicName string = customTopic.name
output customTopicId string = customTopic.id
output customTopicPrincipalId string = customTopic.identity.principalId
output systemTopicName string = systemTopic.name
output systemTopicPrincipalId string = systemTopic.identity.principalId
