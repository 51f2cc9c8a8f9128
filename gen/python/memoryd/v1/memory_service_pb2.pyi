import datetime

from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from memoryd.v1 import user_memory_pb2 as _user_memory_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateUserMemoryRequest(_message.Message):
    __slots__ = ("user_memory", "request_id")
    USER_MEMORY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    user_memory: _user_memory_pb2.UserMemory
    request_id: str
    def __init__(self, user_memory: _Optional[_Union[_user_memory_pb2.UserMemory, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateUserMemoryResponse(_message.Message):
    __slots__ = ("user_memory",)
    USER_MEMORY_FIELD_NUMBER: _ClassVar[int]
    user_memory: _user_memory_pb2.UserMemory
    def __init__(self, user_memory: _Optional[_Union[_user_memory_pb2.UserMemory, _Mapping]] = ...) -> None: ...

class BatchCreateUserMemoriesRequest(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[CreateUserMemoryRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[CreateUserMemoryRequest, _Mapping]]] = ...) -> None: ...

class BatchCreateUserMemoriesResponse(_message.Message):
    __slots__ = ("user_memories",)
    USER_MEMORIES_FIELD_NUMBER: _ClassVar[int]
    user_memories: _containers.RepeatedCompositeFieldContainer[_user_memory_pb2.UserMemory]
    def __init__(self, user_memories: _Optional[_Iterable[_Union[_user_memory_pb2.UserMemory, _Mapping]]] = ...) -> None: ...

class GetUserMemoryRequest(_message.Message):
    __slots__ = ("user_id", "memory_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    memory_id: str
    def __init__(self, user_id: _Optional[str] = ..., memory_id: _Optional[str] = ...) -> None: ...

class GetUserMemoryResponse(_message.Message):
    __slots__ = ("user_memory",)
    USER_MEMORY_FIELD_NUMBER: _ClassVar[int]
    user_memory: _user_memory_pb2.UserMemory
    def __init__(self, user_memory: _Optional[_Union[_user_memory_pb2.UserMemory, _Mapping]] = ...) -> None: ...

class MemoryFilter(_message.Message):
    __slots__ = ("agent_id", "team_id", "any_topics", "all_topics", "labels", "show_expired", "memory_ids")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    ANY_TOPICS_FIELD_NUMBER: _ClassVar[int]
    ALL_TOPICS_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    SHOW_EXPIRED_FIELD_NUMBER: _ClassVar[int]
    MEMORY_IDS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    team_id: str
    any_topics: _containers.RepeatedScalarFieldContainer[str]
    all_topics: _containers.RepeatedScalarFieldContainer[str]
    labels: _containers.ScalarMap[str, str]
    show_expired: bool
    memory_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, agent_id: _Optional[str] = ..., team_id: _Optional[str] = ..., any_topics: _Optional[_Iterable[str]] = ..., all_topics: _Optional[_Iterable[str]] = ..., labels: _Optional[_Mapping[str, str]] = ..., show_expired: _Optional[bool] = ..., memory_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ListUserMemoriesRequest(_message.Message):
    __slots__ = ("user_id", "page_size", "page_token", "order_by", "filter", "skip", "include_total_size", "all_users")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    SKIP_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    ALL_USERS_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    page_size: int
    page_token: str
    order_by: str
    filter: MemoryFilter
    skip: int
    include_total_size: bool
    all_users: bool
    def __init__(self, user_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., order_by: _Optional[str] = ..., filter: _Optional[_Union[MemoryFilter, _Mapping]] = ..., skip: _Optional[int] = ..., include_total_size: _Optional[bool] = ..., all_users: _Optional[bool] = ...) -> None: ...

class ListUserMemoriesResponse(_message.Message):
    __slots__ = ("user_memories", "next_page_token", "total_size")
    USER_MEMORIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    user_memories: _containers.RepeatedCompositeFieldContainer[_user_memory_pb2.UserMemory]
    next_page_token: str
    total_size: int
    def __init__(self, user_memories: _Optional[_Iterable[_Union[_user_memory_pb2.UserMemory, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class SearchUserMemoriesRequest(_message.Message):
    __slots__ = ("user_id", "query", "filter", "order_by", "page_size", "page_token", "skip", "include_total_size", "all_users")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SKIP_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    ALL_USERS_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    query: str
    filter: MemoryFilter
    order_by: str
    page_size: int
    page_token: str
    skip: int
    include_total_size: bool
    all_users: bool
    def __init__(self, user_id: _Optional[str] = ..., query: _Optional[str] = ..., filter: _Optional[_Union[MemoryFilter, _Mapping]] = ..., order_by: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., skip: _Optional[int] = ..., include_total_size: _Optional[bool] = ..., all_users: _Optional[bool] = ...) -> None: ...

class SearchUserMemoriesResponse(_message.Message):
    __slots__ = ("user_memories", "next_page_token", "total_size")
    USER_MEMORIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    user_memories: _containers.RepeatedCompositeFieldContainer[_user_memory_pb2.UserMemory]
    next_page_token: str
    total_size: int
    def __init__(self, user_memories: _Optional[_Iterable[_Union[_user_memory_pb2.UserMemory, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class ReplaceUserMemoryRequest(_message.Message):
    __slots__ = ("user_memory", "allow_missing")
    USER_MEMORY_FIELD_NUMBER: _ClassVar[int]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    user_memory: _user_memory_pb2.UserMemory
    allow_missing: bool
    def __init__(self, user_memory: _Optional[_Union[_user_memory_pb2.UserMemory, _Mapping]] = ..., allow_missing: _Optional[bool] = ...) -> None: ...

class ReplaceUserMemoryResponse(_message.Message):
    __slots__ = ("user_memory",)
    USER_MEMORY_FIELD_NUMBER: _ClassVar[int]
    user_memory: _user_memory_pb2.UserMemory
    def __init__(self, user_memory: _Optional[_Union[_user_memory_pb2.UserMemory, _Mapping]] = ...) -> None: ...

class UpdateUserMemoryRequest(_message.Message):
    __slots__ = ("user_memory", "update_mask")
    USER_MEMORY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    user_memory: _user_memory_pb2.UserMemory
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, user_memory: _Optional[_Union[_user_memory_pb2.UserMemory, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateUserMemoryResponse(_message.Message):
    __slots__ = ("user_memory",)
    USER_MEMORY_FIELD_NUMBER: _ClassVar[int]
    user_memory: _user_memory_pb2.UserMemory
    def __init__(self, user_memory: _Optional[_Union[_user_memory_pb2.UserMemory, _Mapping]] = ...) -> None: ...

class DeleteUserMemoryRequest(_message.Message):
    __slots__ = ("user_id", "memory_id", "etag", "allow_missing")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    memory_id: str
    etag: str
    allow_missing: bool
    def __init__(self, user_id: _Optional[str] = ..., memory_id: _Optional[str] = ..., etag: _Optional[str] = ..., allow_missing: _Optional[bool] = ...) -> None: ...

class DeleteUserMemoryResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class BatchDeleteUserMemoriesRequest(_message.Message):
    __slots__ = ("user_id", "memory_ids", "allow_missing")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MEMORY_IDS_FIELD_NUMBER: _ClassVar[int]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    memory_ids: _containers.RepeatedScalarFieldContainer[str]
    allow_missing: bool
    def __init__(self, user_id: _Optional[str] = ..., memory_ids: _Optional[_Iterable[str]] = ..., allow_missing: _Optional[bool] = ...) -> None: ...

class BatchDeleteUserMemoriesResponse(_message.Message):
    __slots__ = ("deleted_count",)
    DELETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    deleted_count: int
    def __init__(self, deleted_count: _Optional[int] = ...) -> None: ...

class ClearUserMemoriesRequest(_message.Message):
    __slots__ = ("user_id", "all_users")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ALL_USERS_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    all_users: bool
    def __init__(self, user_id: _Optional[str] = ..., all_users: _Optional[bool] = ...) -> None: ...

class ClearUserMemoriesResponse(_message.Message):
    __slots__ = ("deleted_count",)
    DELETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    deleted_count: int
    def __init__(self, deleted_count: _Optional[int] = ...) -> None: ...

class ListMemoryTopicsRequest(_message.Message):
    __slots__ = ("user_id", "agent_id", "team_id", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    agent_id: str
    team_id: str
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., team_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class MemoryTopic(_message.Message):
    __slots__ = ("topic", "memory_count")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    MEMORY_COUNT_FIELD_NUMBER: _ClassVar[int]
    topic: str
    memory_count: int
    def __init__(self, topic: _Optional[str] = ..., memory_count: _Optional[int] = ...) -> None: ...

class ListMemoryTopicsResponse(_message.Message):
    __slots__ = ("topics", "next_page_token")
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    topics: _containers.RepeatedCompositeFieldContainer[MemoryTopic]
    next_page_token: str
    def __init__(self, topics: _Optional[_Iterable[_Union[MemoryTopic, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListUserStatsRequest(_message.Message):
    __slots__ = ("user_id", "page_size", "page_token", "skip", "include_total_size")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SKIP_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    page_size: int
    page_token: str
    skip: int
    include_total_size: bool
    def __init__(self, user_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., skip: _Optional[int] = ..., include_total_size: _Optional[bool] = ...) -> None: ...

class UserStats(_message.Message):
    __slots__ = ("user_id", "memory_count", "last_update_time")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MEMORY_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    memory_count: int
    last_update_time: _timestamp_pb2.Timestamp
    def __init__(self, user_id: _Optional[str] = ..., memory_count: _Optional[int] = ..., last_update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListUserStatsResponse(_message.Message):
    __slots__ = ("user_stats", "next_page_token", "total_size")
    USER_STATS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    user_stats: _containers.RepeatedCompositeFieldContainer[UserStats]
    next_page_token: str
    total_size: int
    def __init__(self, user_stats: _Optional[_Iterable[_Union[UserStats, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class UserMemoryUpsert(_message.Message):
    __slots__ = ("user_memory", "create_time", "update_time")
    USER_MEMORY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    user_memory: _user_memory_pb2.UserMemory
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, user_memory: _Optional[_Union[_user_memory_pb2.UserMemory, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class BatchUpsertUserMemoriesRequest(_message.Message):
    __slots__ = ("upserts",)
    UPSERTS_FIELD_NUMBER: _ClassVar[int]
    upserts: _containers.RepeatedCompositeFieldContainer[UserMemoryUpsert]
    def __init__(self, upserts: _Optional[_Iterable[_Union[UserMemoryUpsert, _Mapping]]] = ...) -> None: ...

class BatchUpsertUserMemoriesResponse(_message.Message):
    __slots__ = ("user_memories",)
    USER_MEMORIES_FIELD_NUMBER: _ClassVar[int]
    user_memories: _containers.RepeatedCompositeFieldContainer[_user_memory_pb2.UserMemory]
    def __init__(self, user_memories: _Optional[_Iterable[_Union[_user_memory_pb2.UserMemory, _Mapping]]] = ...) -> None: ...

class ConsolidateUserMemoriesRequest(_message.Message):
    __slots__ = ("user_id", "memory_ids", "user_memories", "allow_missing")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MEMORY_IDS_FIELD_NUMBER: _ClassVar[int]
    USER_MEMORIES_FIELD_NUMBER: _ClassVar[int]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    memory_ids: _containers.RepeatedScalarFieldContainer[str]
    user_memories: _containers.RepeatedCompositeFieldContainer[_user_memory_pb2.UserMemory]
    allow_missing: bool
    def __init__(self, user_id: _Optional[str] = ..., memory_ids: _Optional[_Iterable[str]] = ..., user_memories: _Optional[_Iterable[_Union[_user_memory_pb2.UserMemory, _Mapping]]] = ..., allow_missing: _Optional[bool] = ...) -> None: ...

class ConsolidateUserMemoriesResponse(_message.Message):
    __slots__ = ("user_memories", "deleted_count")
    USER_MEMORIES_FIELD_NUMBER: _ClassVar[int]
    DELETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    user_memories: _containers.RepeatedCompositeFieldContainer[_user_memory_pb2.UserMemory]
    deleted_count: int
    def __init__(self, user_memories: _Optional[_Iterable[_Union[_user_memory_pb2.UserMemory, _Mapping]]] = ..., deleted_count: _Optional[int] = ...) -> None: ...
