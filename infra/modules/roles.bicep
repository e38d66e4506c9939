// Role assignments: what each identity may do, scoped to the one resource it needs (README: "Roles").

@description('Principal id of the Function App system-assigned identity.')
param appPrincipalId string

@description('Principal ids of the Event Grid topics (custom and ACS system topic): they write dead letters.')
param topicPrincipalIds array

param storageAccountName string
param deadLetterContainerName string
param acsName string
param customTopicName string

var roleIds = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  communicationAndEmailServiceOwner: '09976791-48a7-449e-bb21-39d1a415f350'
  eventGridDataSender: 'd5a91429-5739-47e2-a06b-3470a27159e7'
}

// The Function App on the storage account: host storage (blob leases for the timer, keys), the deployment
// package (Flex reads it with the identity), the app's tables, and queues the host may create.
var appStorageRoles = [
  roleIds.storageBlobDataOwner
  roleIds.storageQueueDataContributor
  roleIds.storageTableDataContributor
]

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

resource acs 'Microsoft.Communication/communicationServices@2023-04-01' existing = {
  name: acsName
}

resource customTopic 'Microsoft.EventGrid/topics@2022-06-15' existing = {
  name: customTopicName
}

resource appOnStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in appStorageRoles: {
  name: guid(storage.id, appPrincipalId, roleId)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

// Call Automation (redirect), Email and SMS with Entra ID instead of the access key. ACS has no narrower
// built-in role that allows these data actions.
resource appOnAcs 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(acs.id, appPrincipalId, roleIds.communicationAndEmailServiceOwner)
  scope: acs
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.communicationAndEmailServiceOwner)
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
