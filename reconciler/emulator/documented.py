"""The emulator's own tables of what each provider documents, written from the API pages.

The emulator is a test oracle: it must not share the tool's knowledge (reconciler.kinds,
reconciler.model), or a mistake there would be repeated here and every test would still pass.
So every value below is copied from the provider's page named next to it, spelled out in full.
tests/documented_values.py checks these tables and the tool's registry against one table of
documented values. Choices no document states are marked UNDOCUMENTED here and in the README's
emulator table.

Pages: shared/reference/api-pages/000-002 (QingStor PUT Bucket Notification), 003 (JD Cloud PUT
Bucket notification), 004 (BOS PutNotification); AWS PutBucketNotificationConfiguration and
"Event notification types"; MinIO internal/event/name.go; Ceph doc/radosgw/s3-notification-compatibility.rst.
"""

from __future__ import annotations

# --- QingStor (api-pages 000, 001) -------------------------------------------------------------
QINGSTOR_EVENT_TYPES = ("create_object", "delete_object", "abort_multipart", "complete_multipart")
QINGSTOR_CLOUDFUNCS = ("tupu-porn", "notifier", "image")
QINGSTOR_REQUIRED = ("id", "event_types", "cloudfunc")
# "When cloudfunc has been set as image, we need cloudfunc_args as below parameters"
QINGSTOR_IMAGE_ARGS = {"action": None, "key_prefix": "gen", "key_seprate": "_", "save_bucket": None}
QINGSTOR_IMAGE_ARGS_REQUIRED = ("action",)

# --- Baidu BOS (api-pages 004) -----------------------------------------------------------------
BOS_STATUSES = ("disabled", "enabled")
BOS_EVENTS = (
    "PutObject",
    "PostObject",
    "AppendObject",
    "CopyObject",
    "CompleteMultipartUpload",
    "FetchObject",
    "DeleteObject",
    "DeleteMultipleObjects",
    "BosLifecycle:Copy",
    "ObjectCreateGroup:*",
    "ObjectModifyGroup:*",
)
BOS_EVENT_URL_SCHEMES = ("http", "https", "brn", "app")
BOS_RESOURCE_MAX_WILDCARDS = 1  # "with a maximum of only one *"
BOS_REQUIRED = ("id", "appId", "status")  # a simplified rule: also name and encryption, nothing else
BOS_FULL_RULE = ("resources", "events", "apps")  # required unless the rule is simplified

# --- S3 wire (AWS PutBucketNotificationConfiguration; api-pages 003 for JD Cloud) --------------
CONFIGURATION_ELEMENTS = {
    "TopicConfiguration": ("topic", "Topic"),
    "QueueConfiguration": ("queue", "Queue"),
    "CloudFunctionConfiguration": ("cloud_function", "CloudFunction"),
}
TARGET_ELEMENT = {kind: target for kind, target in CONFIGURATION_ELEMENTS.values()}
CONFIGURATION_ELEMENT = {kind: element for element, (kind, _target) in CONFIGURATION_ELEMENTS.items()}

# JD Cloud (api-pages 003 and its "OSS事件通知支持事件类型" page)
# every S3-style store documents these (JD Cloud: exactly these)
S3_CREATED_AND_REMOVED = (
    "s3:ObjectCreated:*",
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:*",
    "s3:ObjectRemoved:Delete",
)
JDCLOUD_EVENTS = S3_CREATED_AND_REMOVED
JDCLOUD_CONFIGURATIONS = ("topic", "cloud_function")  # TopicConfiguration, CloudFunctionConfiguration
JDCLOUD_MAX_CALLBACKS = 5  # "最多允许配置5个回调服务器"
JDCLOUD_FILTER_MAX_BYTES = 1022  # "前缀和后缀最大长度为1022个字节"

# AWS: "Supported event types" of the S3 user guide
AWS_EVENTS = S3_CREATED_AND_REMOVED + (
    "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectRestore:*",
    "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed",
    "s3:ObjectRestore:Delete",
    "s3:ReducedRedundancyLostObject",
    "s3:Replication:*",
    "s3:Replication:OperationFailedReplication",
    "s3:Replication:OperationMissedThreshold",
    "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:Replication:OperationNotTracked",
    "s3:LifecycleTransition",
    "s3:IntelligentTiering",
    "s3:ObjectAcl:Put",
    "s3:LifecycleExpiration:*",
    "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated",
    "s3:ObjectTagging:*",
    "s3:ObjectTagging:Put",
    "s3:ObjectTagging:Delete",
)
AWS_FILTER_MAX_CHARS = 1024  # UNDOCUMENTED: the S3 key limit; AWS states no filter-value limit

# MinIO: internal/event/name.go (every name it parses)
MINIO_EVENTS = AWS_EVENTS + (
    "s3:ObjectAccessed:*",
    "s3:ObjectAccessed:Get",
    "s3:ObjectAccessed:Head",
    "s3:ObjectAccessed:GetRetention",
    "s3:ObjectAccessed:GetLegalHold",
    "s3:ObjectAccessed:Attributes",
    "s3:ObjectCreated:PutRetention",
    "s3:ObjectCreated:PutLegalHold",
    "s3:ObjectCreated:PutTagging",
    "s3:ObjectCreated:DeleteTagging",
    "s3:ObjectRemoved:NoOP",
    "s3:ObjectRemoved:DeleteAllVersions",
    "s3:Replication:OperationCompletedReplication",
    "s3:ObjectTransition:*",
    "s3:ObjectTransition:Failed",
    "s3:ObjectTransition:Complete",
    "s3:Scanner:ManyVersions",
    "s3:Scanner:LargeVersions",
    "s3:Scanner:BigPrefix",
    "s3:LifecycleDelMarkerExpiration:Delete",
    "s3:BucketCreated:*",
    "s3:BucketRemoved:*",
)
MINIO_FILTER_MAX_BYTES = 1024  # MinIO's own check on a filter value

# Ceph RGW: doc/radosgw/s3-notification-compatibility.rst
CEPH_EVENTS = S3_CREATED_AND_REMOVED + (
    "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectLifecycle:Expiration:Current",
    "s3:ObjectLifecycle:Expiration:NonCurrent",
    "s3:ObjectLifecycle:Expiration:DeleteMarker",
    "s3:ObjectLifecycle:Expiration:AbortMultipartUpload",
    "s3:ObjectLifecycle:Transition:Current",
    "s3:ObjectLifecycle:Transition:NonCurrent",
    "s3:ObjectSynced:*",
    "s3:ObjectSynced:Create",
    "s3:ObjectSynced:Delete",
    "s3:ObjectSynced:DeletionMarkerCreated",
)
CEPH_IMPLIED_EVENTS = ("s3:ObjectCreated:*", "s3:ObjectRemoved:*")  # "If Event is omitted, all … are used"

EVENTS_BY_FLAVOR = {"aws": AWS_EVENTS, "jdcloud": JDCLOUD_EVENTS, "minio": MINIO_EVENTS, "ceph": CEPH_EVENTS}
