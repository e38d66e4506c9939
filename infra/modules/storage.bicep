// Storage account: Functions host storage, the deployment package, the app's tables and Event Grid dead letters.
// Identity only: no shared key, no public blob access, TLS 1.2.

@description('Storage account name (3-24 lowercase letters and digits).')
param name string

param location string
param tags object

@description('Tables the app uses; the app also creates a missing table on first use.')
param tables array

@description('Blob container that holds the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Blob container that receives events Event Grid could not deliver.')
param deadLetterContainerName string

@description('Blob containers of the Functions host (timer schedule monitor and singleton locks, function keys); created here so that the role of the app can be scoped to them.')
param hostContainerNames array

@description('Redundancy: Standard_GZRS (zone + geo) where the region offers it, else ZRS or LRS.')
param skuName string = 'Standard_GZRS'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    //checkov:skip=CKV_AZURE_35:Exception (infra/README.md Least privilege): deny-by-default needs VNet integration of the Flex app plus private endpoints, not in this template; every request needs Entra ID (shared key is off) and a role scoped to one container or the table service.
    //checkov:skip=CKV_AZURE_59:Same exception: the host, the deployment and Event Grid dead-lettering reach storage publicly with Entra ID only; no key, no anonymous blob.
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: {
          enabled: true
        }
        table: {
          enabled: true
          keyType: 'Account'
        }
        queue: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deadLetterContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource hostContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for container in hostContainerNames: {
  parent: blobService
  name: container
  properties: {
    publicAccess: 'None'
  }
}]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource appTables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for table in tables: {
  parent: tableService
  name: table
}]

output name string = storage.name
output id string = storage.id
