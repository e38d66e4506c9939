// Azure Communication Services with an Email Communication Service and its Azure-managed domain, linked.
// Calls, SMS and email are reached through the Function App's identity (see roles.bicep).

param acsName string
param emailServiceName string
param tags object

@description('Where ACS and Email keep data at rest (a geography, e.g. "United States", "Europe").')
param dataLocation string

resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = {
  name: emailServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

// An Azure-managed domain is verified at creation: it sends from DoNotReply@<guid>.azurecomm.net.
// A custom domain needs DNS records and verification before ACS can link it (see infra/README.md).
resource emailDomain 'Microsoft.Communication/emailServices/domains@2023-04-01' = {
  parent: emailService
  name: 'AzureManagedDomain'
  location: 'global'
  tags: tags
  properties: {
    domainManagement: 'AzureManaged'
    userEngagementTracking: 'Disabled'
  }
}

// disableLocalAuth (API 2025-05-01): the access key is refused; the app calls Call Automation, Email and SMS with
// its managed identity (ACS_ENDPOINT + DefaultAzureCredential in shared/wiring.py, role in roles.bicep).
resource acs 'Microsoft.Communication/communicationServices@2025-05-01' = {
  name: acsName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    disableLocalAuth: true
    linkedDomains: [
      emailDomain.id
    ]
  }
}

output acsName string = acs.name
output acsId string = acs.id
output emailSenderAddress string = 'DoNotReply@${emailDomain.properties.mailFromSenderDomain}'
