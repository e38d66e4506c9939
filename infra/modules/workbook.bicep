// The operations workbook (infra/workbook.json): emergency calls, notification latency and outcomes, callback
// outcomes and time to redirect, callback pool levels. Shared, linked to the Application Insights component, so it
// is listed under that component's Workbooks and its queries run against it. What it shows: docs/operations.md.

@description('Resource id of the Application Insights component the workbook reads.')
param appInsightsId string

param location string
param tags object

@description('Name shown in the portal.')
param displayName string

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A workbook's name is a GUID: derived from the component, so every deployment updates the same workbook.
  name: guid(resourceGroup().id, appInsightsId, 'emergency-calls-operations-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    version: 'Notebook/1.0'
    sourceId: appInsightsId
    serializedData: loadTextContent('../workbook.json')
  }
}

output workbookId string = workbook.id
