// Azure Monitor log alerts on the app's own telemetry (Application Insights) and on Event Grid metrics
// (Log Analytics, AzureMetrics). Names and meaning: infra/README.md, "Alerts". The custom event, metric and
// request names in the queries are the ones the app emits; keep them in step with the code.

param namePrefix string
param location string
param tags object
param appInsightsId string
param workspaceId string

@description('E-mail address that receives the alerts; empty: alerts fire with no notification.')
param alertEmail string

@description('Alert when a region has fewer free callback numbers than this.')
param poolFreeThreshold int

@description('Alert when test calls, or one agent, hold more than this percentage of a region\'s callback pool.')
param poolDrainPercent int = 25

@description('Alert when the 95th percentile from IncomingCall event to redirect exceeds this (ms); a callback rings 30 s.')
param callbackRedirectSlowMs int

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${namePrefix}-oncall'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'emcall'
    enabled: true
    emailReceivers: empty(alertEmail) ? [] : [
      {
        name: 'oncall'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

// A responder's callback that did not reach an agent: the redirect failed, or the event came too late to act.
var callbackNotRedirectedQuery = '''
customEvents
| where name == "CallbackRouted"
| extend outcome = tostring(customDimensions.outcome)
| where outcome in ("redirect_failed", "dropped_stale", "no_fallback", "setting_missing")
'''

// An event function stopped by a missing or malformed app setting: the event was acknowledged (Event Grid does not
// deliver it again) and nothing was done; the setting is named in customDimensions.setting.
var settingMissingQuery = '''
customEvents
| where name == "SettingMissing"
| extend setting = tostring(customDimensions.setting)
'''

// A Kari's Law notification that still failed after the app's last retry.
var notificationFailedQuery = '''
customEvents
| where name == "NotificationDelivery"
| where tostring(customDimensions.status) == "failed" and tostring(customDimensions.final) == "true"
| extend channel = tostring(customDimensions.channel)
'''

// An emergency dial by a signed-in agent whose user no agent profile names (no signInId), or whose dialer named
// another agent: the call was answered and recorded against what is known of her, but her own contacts were not
// told (the fallback recipients were) and a callback goes to the fallback desk.
var emergencyDialUnmappedQuery = '''
customEvents
| where name == "UnmappedEmergencyDial"
| extend problem = tostring(customDimensions.problem)
'''

// The lowest free count reported for each region in the window (a measurement, or a dimension in string form).
var poolLowQuery = '''
customEvents
| where name == "PoolLevel"
| extend free = coalesce(todouble(customMeasurements.free), todouble(customDimensions.free))
| project timestamp, region = tostring(customDimensions.region), free
'''

// The share of a region's pool that live test (933) leases, or the one agent holding the most, take (percent).
var poolDrainQuery = '''
customEvents
| where name == "PoolLevel"
| extend total = todouble(customDimensions.free) + todouble(customDimensions.leased) + todouble(customDimensions.quarantined)
| extend taken = max_of(todouble(customDimensions.testLeases), todouble(customDimensions.maxLeasesOneAgent))
| where total > 0
| project timestamp, region = tostring(customDimensions.region), share = 100.0 * taken / total
'''

// Events Event Grid gave up on (both topics), from the topics' metrics sent to Log Analytics.
var deadLetteredQuery = '''
AzureMetrics
| where ResourceProvider == "MICROSOFT.EVENTGRID" and MetricName == "DeadLetteredCount" and Total > 0
'''

// Executions of the expiry timer; none in the window means it has stopped running.
var expiryTimerQuery = '''
requests
| where name == "callback_lease_expiry"
'''

// The time from IncomingCall event to redirect, against the 30 s a callback rings.
var callbackSlowQuery = '''
customMetrics
| where name == "callback.event_to_redirect_ms"
| summarize p95 = percentilew(valueSum / valueCount, valueCount, 95) by bin(timestamp, 5m)
'''

var rules = [
  {
    name: 'callback-not-redirected'
    description: 'A callback to a leased number was not redirected to the agent (redirect_failed or dropped_stale).'
    severity: 1
    scope: appInsightsId
    query: callbackNotRedirectedQuery
    timeAggregation: 'Count'
    metricMeasureColumn: null
    dimension: 'outcome'
    operator: 'GreaterThan'
    threshold: 0
    window: 'PT5M'
  }
  {
    name: 'notification-failed'
    description: 'An emergency notification (email or SMS) failed after its retries.'
    severity: 1
    scope: appInsightsId
    query: notificationFailedQuery
    timeAggregation: 'Count'
    metricMeasureColumn: null
    dimension: 'channel'
    operator: 'GreaterThan'
    threshold: 0
    window: 'PT5M'
  }
  {
    name: 'emergency-dial-unmapped'
    description: 'A signed-in agent dialed an emergency number and no agent profile names her user (or her dialer named another agent): her own contacts were not told.'
    severity: 1
    scope: appInsightsId
    query: emergencyDialUnmappedQuery
    timeAggregation: 'Count'
    metricMeasureColumn: null
    dimension: 'problem'
    operator: 'GreaterThan'
    threshold: 0
    window: 'PT5M'
  }
  {
    name: 'setting-missing'
    description: 'An event function found an app setting missing or malformed: the event was acknowledged and nothing was done.'
    severity: 1
    scope: appInsightsId
    query: settingMissingQuery
    timeAggregation: 'Count'
    metricMeasureColumn: null
    dimension: 'setting'
    operator: 'GreaterThan'
    threshold: 0
    window: 'PT5M'
  }
  {
    name: 'callback-pool-low'
    description: 'A region has fewer free callback numbers than the threshold.'
    severity: 2
    scope: appInsightsId
    query: poolLowQuery
    timeAggregation: 'Minimum'
    metricMeasureColumn: 'free'
    dimension: 'region'
    operator: 'LessThan'
    threshold: poolFreeThreshold
    window: 'PT15M'
  }
  {
    name: 'callback-pool-drain'
    description: 'Test calls, or one agent, hold a share of a region\'s callback pool above the threshold.'
    severity: 2
    scope: appInsightsId
    query: poolDrainQuery
    timeAggregation: 'Maximum'
    metricMeasureColumn: 'share'
    dimension: 'region'
    operator: 'GreaterThan'
    threshold: poolDrainPercent
    window: 'PT15M'
  }
  {
    name: 'events-dead-lettered'
    description: 'Event Grid dead-lettered events (container deadletters): a function did not accept them in time.'
    severity: 2
    scope: workspaceId
    query: deadLetteredQuery
    timeAggregation: 'Count'
    metricMeasureColumn: null
    dimension: 'Resource'
    operator: 'GreaterThan'
    threshold: 0
    window: 'PT15M'
  }
  {
    name: 'expiry-timer-silent'
    description: 'callback_lease_expiry has not run for 5 minutes: leases, stuck presence and incidents are not cleaned.'
    severity: 2
    scope: appInsightsId
    query: expiryTimerQuery
    timeAggregation: 'Count'
    metricMeasureColumn: null
    dimension: null
    operator: 'LessThan'
    threshold: 1
    window: 'PT5M'
  }
  {
    name: 'callback-redirect-slow'
    description: 'IncomingCall-to-redirect p95 is above the threshold: callbacks risk ringing out before they reach the agent.'
    severity: 3
    scope: appInsightsId
    query: callbackSlowQuery
    timeAggregation: 'Maximum'
    metricMeasureColumn: 'p95'
    dimension: null
    operator: 'GreaterThan'
    threshold: callbackRedirectSlowMs
    window: 'PT15M'
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = [for rule in rules: {
  name: '${namePrefix}-${rule.name}'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: '${namePrefix}-${rule.name}'
    description: rule.description
    severity: rule.severity
    enabled: true
    scopes: [
      rule.scope
    ]
    evaluationFrequency: 'PT5M'
    windowSize: rule.window
    // Tables such as AzureMetrics exist only once data arrives; do not fail the first deployment on them.
    skipQueryValidation: true
    autoMitigate: true
    criteria: {
      allOf: [
        {
          query: rule.query
          timeAggregation: rule.timeAggregation
          metricMeasureColumn: rule.metricMeasureColumn
          dimensions: rule.dimension == null ? [] : [
            {
              name: rule.dimension
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: rule.operator
          threshold: rule.threshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}]

output actionGroupId string = actionGroup.id
