// Event subscriptions, one per entry of shared/event_subscriptions.json: its "internal" entries on the custom
// topic, its "acs" entries on the ACS system topic. The local stack delivers from the same file, so the two
// cannot drift. Deployed only once the functions exist (deploy.sh, stage 3): Event Grid asks the function
// for its key when the subscription is created.

param functionAppName string
param customTopicName string
param systemTopicName string
param storageAccountName string
param deadLetterContainerName string

@description('IncomingCall targets to deliver, as raw ids: 4:+E164 for pool numbers, 8:acs:... for agents. Empty: all.')
param incomingCallTargets array

var subscriptionsFile = loadJsonContent('../../shared/event_subscriptions.json')
var incomingCallType = 'Microsoft.Communication.IncomingCall'

// Event Grid defaults, used when an entry sets no maxDeliveryAttempts / eventTimeToLiveInMinutes.
var defaultMaxDeliveryAttempts = 30
var defaultEventTimeToLiveInMinutes = 1440

// Event Grid allows at most 25 values across all advanced filters of one subscription; advanced filters are
// ANDed. So IncomingCall has one StringIn filter on data.to.rawId (phone numbers and ACS users alike), with
// at most 25 values, and each further 25 targets get another subscription to the same function.
var filterValuesPerSubscription = 25
var incomingCallChunks = (length(incomingCallTargets) + filterValuesPerSubscription - 1) / filterValuesPerSubscription
var incomingCallEntries = filter(subscriptionsFile.acs, entry => contains(entry.eventTypes, incomingCallType))

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource customTopic 'Microsoft.EventGrid/topics@2022-06-15' existing = {
  name: customTopicName
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: systemTopicName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

// Written with the topic's own identity (Storage Blob Data Contributor on this container, roles.bicep).
var deadLetter = {
  identity: {
    type: 'SystemAssigned'
  }
  deadLetterDestination: {
    endpointType: 'StorageBlob'
    properties: {
      resourceId: storage.id
      blobContainerName: deadLetterContainerName
    }
  }
}

resource internalSubscriptions 'Microsoft.EventGrid/topics/eventSubscriptions@2022-06-15' = [for entry in subscriptionsFile.internal: {
  parent: customTopic
  name: entry.name
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${site.id}/functions/${entry.function}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: entry.eventTypes
    }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: {
      maxDeliveryAttempts: (entry.?maxDeliveryAttempts) ?? defaultMaxDeliveryAttempts
      eventTimeToLiveInMinutes: (entry.?eventTimeToLiveInMinutes) ?? defaultEventTimeToLiveInMinutes
    }
    deadLetterWithResourceIdentity: deadLetter
  }
}]

resource acsSubscriptions 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = [for entry in subscriptionsFile.acs: {
  parent: systemTopic
  name: entry.name
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${site.id}/functions/${entry.function}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: entry.eventTypes
      advancedFilters: (contains(entry.eventTypes, incomingCallType) && incomingCallChunks > 0) ? [
        {
          operatorType: 'StringIn'
          key: 'data.to.rawId'
          values: take(incomingCallTargets, filterValuesPerSubscription)
        }
      ] : []
    }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: {
      maxDeliveryAttempts: (entry.?maxDeliveryAttempts) ?? defaultMaxDeliveryAttempts
      eventTimeToLiveInMinutes: (entry.?eventTimeToLiveInMinutes) ?? defaultEventTimeToLiveInMinutes
    }
    deadLetterWithResourceIdentity: deadLetter
  }
}]

// IncomingCall targets 26 and up: same entry, same function, same retry policy, next 25 values each.
resource incomingCallOverflow 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = [for chunk in range(1, max(incomingCallChunks - 1, 0)): {
  parent: systemTopic
  name: '${incomingCallEntries[0].name}-${chunk + 1}'
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${site.id}/functions/${incomingCallEntries[0].function}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: incomingCallEntries[0].eventTypes
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.to.rawId'
          values: take(skip(incomingCallTargets, chunk * filterValuesPerSubscription), filterValuesPerSubscription)
        }
      ]
    }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: {
      maxDeliveryAttempts: (incomingCallEntries[0].?maxDeliveryAttempts) ?? defaultMaxDeliveryAttempts
      eventTimeToLiveInMinutes: (incomingCallEntries[0].?eventTimeToLiveInMinutes) ?? defaultEventTimeToLiveInMinutes
    }
    deadLetterWithResourceIdentity: deadLetter
  }
}]

output subscriptionCount int = length(subscriptionsFile.internal) + length(subscriptionsFile.acs) + max(incomingCallChunks - 1, 0)
