from memory.v1 import memory_pb2 as _memory_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListOrder(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LIST_ORDER_UNSPECIFIED: _ClassVar[ListOrder]
    LIST_ORDER_NEWEST_FIRST: _ClassVar[ListOrder]
    LIST_ORDER_OLDEST_FIRST: _ClassVar[ListOrder]

class RetrievalMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RETRIEVAL_METHOD_UNSPECIFIED: _ClassVar[RetrievalMethod]
    RETRIEVAL_METHOD_LAST_N: _ClassVar[RetrievalMethod]
    RETRIEVAL_METHOD_FIRST_N: _ClassVar[RetrievalMethod]
LIST_ORDER_UNSPECIFIED: ListOrder
LIST_ORDER_NEWEST_FIRST: ListOrder
LIST_ORDER_OLDEST_FIRST: ListOrder
RETRIEVAL_METHOD_UNSPECIFIED: RetrievalMethod
RETRIEVAL_METHOD_LAST_N: RetrievalMethod
RETRIEVAL_METHOD_FIRST_N: RetrievalMethod

class AddUserMemoryRequest(_message.Message):
    __slots__ = ("user_memory", "request_id")
    USER_MEMORY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    user_memory: _memory_pb2.UserMemory
    request_id: str
    def __init__(self, user_memory: _Optional[_Union[_memory_pb2.UserMemory, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class AddUserMemoryResponse(_message.Message):
    __slots__ = ("user_memory",)
    USER_MEMORY_FIELD_NUMBER: _ClassVar[int]
    user_memory: _memory_pb2.UserMemory
    def __init__(self, user_memory: _Optional[_Union[_memory_pb2.UserMemory, _Mapping]] = ...) -> None: ...

class BatchAddUserMemoriesRequest(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[AddUserMemoryRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[AddUserMemoryRequest, _Mapping]]] = ...) -> None: ...

class BatchAddUserMemoriesResponse(_message.Message):
    __slots__ = ("user_memories",)
    USER_MEMORIES_FIELD_NUMBER: _ClassVar[int]
    user_memories: _containers.RepeatedCompositeFieldContainer[_memory_pb2.UserMemory]
    def __init__(self, user_memories: _Optional[_Iterable[_Union[_memory_pb2.UserMemory, _Mapping]]] = ...) -> None: ...

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
    user_memory: _memory_pb2.UserMemory
    def __init__(self, user_memory: _Optional[_Union[_memory_pb2.UserMemory, _Mapping]] = ...) -> None: ...

class ListUserMemoriesRequest(_message.Message):
    __slots__ = ("user_id", "page_size", "page_token", "order", "topics")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    page_size: int
    page_token: str
    order: ListOrder
    topics: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, user_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., order: _Optional[_Union[ListOrder, str]] = ..., topics: _Optional[_Iterable[str]] = ...) -> None: ...

class ListUserMemoriesResponse(_message.Message):
    __slots__ = ("user_memories", "next_page_token")
    USER_MEMORIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_memories: _containers.RepeatedCompositeFieldContainer[_memory_pb2.UserMemory]
    next_page_token: str
    def __init__(self, user_memories: _Optional[_Iterable[_Union[_memory_pb2.UserMemory, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SearchUserMemoriesRequest(_message.Message):
    __slots__ = ("user_id", "query", "topics", "retrieval_method", "limit", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    RETRIEVAL_METHOD_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    query: str
    topics: _containers.RepeatedScalarFieldContainer[str]
    retrieval_method: RetrievalMethod
    limit: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., query: _Optional[str] = ..., topics: _Optional[_Iterable[str]] = ..., retrieval_method: _Optional[_Union[RetrievalMethod, str]] = ..., limit: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class SearchUserMemoriesResponse(_message.Message):
    __slots__ = ("user_memories", "next_page_token")
    USER_MEMORIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_memories: _containers.RepeatedCompositeFieldContainer[_memory_pb2.UserMemory]
    next_page_token: str
    def __init__(self, user_memories: _Optional[_Iterable[_Union[_memory_pb2.UserMemory, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ReplaceUserMemoryRequest(_message.Message):
    __slots__ = ("user_memory", "allow_missing")
    USER_MEMORY_FIELD_NUMBER: _ClassVar[int]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    user_memory: _memory_pb2.UserMemory
    allow_missing: bool
    def __init__(self, user_memory: _Optional[_Union[_memory_pb2.UserMemory, _Mapping]] = ..., allow_missing: _Optional[bool] = ...) -> None: ...

class ReplaceUserMemoryResponse(_message.Message):
    __slots__ = ("user_memory",)
    USER_MEMORY_FIELD_NUMBER: _ClassVar[int]
    user_memory: _memory_pb2.UserMemory
    def __init__(self, user_memory: _Optional[_Union[_memory_pb2.UserMemory, _Mapping]] = ...) -> None: ...

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
