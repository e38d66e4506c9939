// Role assignments: what each identity may do, scoped to the narrowest resource it needs (README: "Roles").
// The app holds no role on the whole storage account and no owner role anywhere.

@description('Principal id of the Function App system-assigned identity.')
param appPrincipalId string

@description('Principal ids of the Event Grid topics (custom and ACS system topic): they write dead letters.')
param topicPrincipalIds array

param storageAccountName string
param deadLetterContainerName string

@description('Blob containers the app itself reads and writes: the Flex deployment package and the host containers.')
param appContainerNames array

param acsName string
param customTopicName string
param appInsightsName string

var roleIds = {
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  eventGridDataSender: 'd5a91429-5739-47e2-a06b-3470a27159e7'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobService
  name: deadLetterContainerName
}

resource appContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [for container in appContainerNames: {
  parent: blobService
  name: container
}]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
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

// The Flex deployment package and the host's own containers (timer schedule monitor, singleton locks, keys):
// blobs in these containers only, not the account (no Owner: nothing here sets ACLs or assigns access).
resource appOnContainers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (container, i) in appContainerNames: {
  name: guid(storage.id, container, appPrincipalId, roleIds.storageBlobDataContributor)
  scope: appContainers[i]
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

// The app's tables (leases, presence, incidents, history), on the table service: no blob or queue access.
resource appOnTables 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(tableService.id, appPrincipalId, roleIds.storageTableDataContributor)
  scope: tableService
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageTableDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Call Automation (redirect), Email and SMS with Entra ID. ACS has no built-in data role narrower than
// Communication and Email Service Owner (which also lists and regenerates keys and deletes the resource), so
// this custom role keeps the actions Microsoft documents for sending with Entra ID and nothing else.
resource acsSenderRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'emergency-calls-acs-sender')
  properties: {
    roleName: 'Emergency calls ACS sender (${resourceGroup().name})'
    description: 'Calls Call Automation, Email and SMS of one Communication Services resource with Entra ID; no keys, no delete.'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.Communication/CommunicationServices/Read'
          'Microsoft.Communication/CommunicationServices/Write'
          'Microsoft.Communication/EmailServices/read'
          'Microsoft.Communication/EmailServices/write'
        ]
        notActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource appOnAcs 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(acs.id, appPrincipalId, acsSenderRole.id)
  scope: acs
  properties: {
    roleDefinitionId: acsSenderRole.id
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Publishing the internal events (Emergency.CallStarted, Emergency.CallEnded) without a topic key.
resource appOnTopic 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(customTopic.id, appPrincipalId, roleIds.eventGridDataSender)
  scope: customTopic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.eventGridDataSender)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Telemetry with Entra ID (Application Insights has local auth disabled); despite its name the role publishes
// every kind of telemetry, and only to this component.
resource appOnAppInsights 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, appPrincipalId, roleIds.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Each topic writes undeliverable events to the dead-letter container, and nowhere else.
resource topicsOnDeadLetters 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in topicPrincipalIds: {
  name: guid(deadLetterContainer.id, principalId, roleIds.storageBlobDataContributor)
  scope: deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]
