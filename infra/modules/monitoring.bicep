// Log Analytics workspace and the workspace-based Application Insights component the app reports to.
// Local (key) authentication is off on both: telemetry is accepted only from Entra ID identities.

param workspaceName string
param appInsightsName string
param location string
param tags object

@description('Days Log Analytics keeps data.')
param retentionInDays int

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      enableLogAccessUsingOnlyResourcePermissions: true
      // Nothing here ingests with the workspace's shared keys: Application Insights and diagnostic settings
      // write through Azure Monitor, queries and alerts use Entra ID.
      disableLocalAuth: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
    RetentionInDays: retentionInDays
    // Entra ID ingestion only: the app's identity holds Monitoring Metrics Publisher on this component (roles.bicep)
    // and the app sets APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD (functionapp.bicep).
    DisableLocalAuth: true
  }
}

output workspaceId string = workspace.id
output appInsightsId string = appInsights.id
output appInsightsName string = appInsights.name
