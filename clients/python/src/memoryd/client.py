"""A thin, typed convenience layer over the generated memoryd stubs.

Every method is one RPC (``iter_*`` and ``search`` page through several)
and returns the generated protobuf messages unchanged; failures raise
``grpc.RpcError`` with the server's status code, whose details
``error_details`` decodes. Arguments the server checks are left to it: an
invalid one fails with INVALID_ARGUMENT naming the field.

Times (``expire_time``) are timezone-aware ``datetime`` values or protobuf
``Timestamp``; durations (``ttl``) are ``timedelta``, seconds, or protobuf
``Duration``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
import uuid
import warnings
from importlib import resources
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, TypeVar, Union

import grpc
from google.protobuf.duration_pb2 import Duration
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.timestamp_pb2 import Timestamp

from memoryd.details import ErrorDetails, error_details  # noqa: F401  (re-exported)
from memoryd.errors import from_rpc_error
from memoryd.v1 import error_reason_pb2, memory_service_pb2, memory_service_pb2_grpc, user_memory_pb2

UserMemory = user_memory_pb2.UserMemory
MemoryFilter = memory_service_pb2.MemoryFilter
MemoryTopic = memory_service_pb2.MemoryTopic
UserStats = memory_service_pb2.UserStats
UserMemoryUpsert = memory_service_pb2.UserMemoryUpsert
ErrorReason = error_reason_pb2.ErrorReason

TimeLike = Union[datetime, Timestamp]
DurationLike = Union[timedelta, int, float, Duration]


class _Unset(enum.Enum):
    UNSET = 0


#: Default of ``MemoryClient.update`` arguments: leave the field as it is.
UNSET = _Unset.UNSET


_R = TypeVar("_R")


def _itself(response: _R) -> _R:
    return response


def _user_memory_of(response: Any) -> UserMemory:
    return response.user_memory  # type: ignore[no-any-return]


def _user_memories_of(response: Any) -> List[UserMemory]:
    return list(response.user_memories)


def _deleted_count_of(response: Any) -> int:
    return int(response.deleted_count)


def _nothing(response: Any) -> None:
    return None


def _first_page(request: Any, limit: int) -> int:
    """Sets up a listing's first request: with a ``limit``, pages ask for no more than it."""
    if limit:
        request.page_size = limit
    return 0


def _next_page(request: Any, page: Any, found: int, limit: int) -> bool:
    """Whether a listing goes on after ``page`` (``found`` items so far); if so, ``request`` is
    set for the next page: its token, no ``skip`` (the server skips after a token's
    position), and with a ``limit`` a size of what is still wanted."""
    request.page_token = page.next_page_token
    if not request.page_token or (limit and found >= limit):
        return False
    if "skip" in type(request).DESCRIPTOR.fields_by_name:
        request.skip = 0
    if limit:
        request.page_size = limit - found
    return True


def _new_request_id() -> str:
    return f"memoryd-py-{uuid.uuid4()}"


def _timestamp(value: TimeLike) -> Timestamp:
    if isinstance(value, Timestamp):
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value!r} has no time zone: pass an aware datetime (datetime.now(timezone.utc) + ...)")
    timestamp = Timestamp()
    timestamp.FromDatetime(value)
    return timestamp


def _duration(value: DurationLike) -> Duration:
    if isinstance(value, Duration):
        return value
    duration = Duration()
    if isinstance(value, timedelta):
        duration.FromTimedelta(value)
    else:
        duration.FromNanoseconds(round(value * 1_000_000_000))
    return duration


def _set_expiration(memory: UserMemory, expire_time: Optional[TimeLike], ttl: Optional[DurationLike]) -> None:
    if expire_time is not None and ttl is not None:
        raise ValueError("pass expire_time or ttl, not both: they are one oneof")
    if expire_time is not None:
        memory.expire_time.CopyFrom(_timestamp(expire_time))
    elif ttl is not None:
        memory.ttl.CopyFrom(_duration(ttl))


def _user_memory(
    user_id: str,
    memory_id: str,
    memory: str,
    *,
    topics: Sequence[str],
    input: Optional[str],
    agent_id: str,
    team_id: str,
    feedback: Optional[str],
    labels: Optional[Mapping[str, str]],
    expire_time: Optional[TimeLike],
    ttl: Optional[DurationLike],
    etag: str = "",
) -> UserMemory:
    user_memory = UserMemory(
        user_id=user_id,
        memory_id=memory_id,
        memory=memory,
        topics=topics,
        input=input,
        agent_id=agent_id,
        team_id=team_id,
        feedback=feedback,
        labels=labels or {},
        etag=etag,
    )
    _set_expiration(user_memory, expire_time, ttl)
    return user_memory


def _filter(
    *,
    agent_id: str,
    team_id: str,
    any_topics: Sequence[str],
    all_topics: Sequence[str],
    topics: Sequence[str],
    labels: Optional[Mapping[str, str]],
    show_expired: bool,
    memory_ids: Sequence[str] = (),
) -> MemoryFilter:
    # `topics` is memory.v1's any-of topics argument: a memory with one of
    # `any_topics` or one of `topics` has one of both together.
    merged = list(dict.fromkeys([*any_topics, *topics]))
    return MemoryFilter(
        agent_id=agent_id,
        team_id=team_id,
        any_topics=merged,
        all_topics=all_topics,
        labels=labels or {},
        show_expired=show_expired,
        memory_ids=list(memory_ids),
    )


def _order(order_by: str, flag: bool, flag_name: str, flag_order: str) -> str:
    if flag and order_by:
        raise ValueError(f"pass order_by or {flag_name}, not both")
    return flag_order if flag else order_by


#: Channel options of every client: pages up to the server's own --max-message-bytes
#: (gRPC's 4 MiB default receive limit would make larger pages unreadable), and
#: reconnects within a second of a restarted server instead of gRPC's backoff of up to 2 min.
CHANNEL_OPTIONS: Tuple[Tuple[str, Any], ...] = (
    ("grpc.max_receive_message_length", -1),
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
)


def service_config() -> str:
    """memoryd's retry and timeout policy (``service_config.json``, docs/clients.md) as JSON."""
    return resources.files("memoryd").joinpath("service_config.json").read_text(encoding="utf-8")


def _open_channel(
    module: Any,
    address: str,
    token: Optional[str],
    tls: Tuple[Optional[bytes], Optional[bytes], Optional[bytes]],
    options: Sequence[Tuple[str, Any]],
    retry: bool,
    **extra: Any,
) -> Any:
    """A channel from ``module`` (``grpc``, or ``grpc.aio`` for ``AsyncMemoryClient``) with
    memoryd's channel options, its service config when ``retry``, and TLS when certificates
    are given."""
    channel_options = [*CHANNEL_OPTIONS, *options]
    if retry:
        channel_options += [("grpc.enable_retries", 1), ("grpc.service_config", service_config())]
    if any(tls):
        return module.secure_channel(address, grpc.ssl_channel_credentials(*tls), options=channel_options, **extra)
    if token and not address.startswith(("127.", "localhost:", "[::1]")):
        warnings.warn(
            f"sending a bearer token to {address} without TLS: pass root_certificates, "
            "or make sure a service mesh encrypts the connection",
            stacklevel=3,
        )
    return module.insecure_channel(address, options=channel_options, **extra)


_Client = TypeVar("_Client", bound="_CallSettings")


class _CallSettings:
    """The deadline and metadata every call of a client sends, and ``with_options``."""

    def __init__(self, token: Optional[str], metadata: Sequence[Tuple[str, str]], timeout: Optional[float]) -> None:
        authorization = (("authorization", f"Bearer {token}"),) if token else ()
        self._metadata: Tuple[Tuple[str, str], ...] = (*authorization, *metadata)
        self._timeout = timeout

    def with_options(self: _Client, *, timeout: Optional[float] = None, metadata: Sequence[Tuple[str, str]] = ()) -> _Client:
        """This client on the same channel with another deadline (seconds) and/or more metadata,
        for one call or a few: ``client.with_options(timeout=2).get(user, id)``."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy._metadata = (*self._metadata, *metadata)
        copy._timeout = self._timeout if timeout is None else timeout
        return copy


class MemoryClient(_CallSettings):
    """A connection to one memoryd server.

    Args:
        address: ``host:port`` of the server.
        token: bearer token, sent as ``authorization: Bearer <token>`` on every call.
        root_certificates, private_key, certificate_chain: PEM bytes for TLS
            (root certificates alone) or mutual TLS (all three); plaintext when
            none is given.
        timeout: default per-call deadline in seconds (``with_options`` sets one per call).
        metadata: extra metadata sent on every call.
        options: more gRPC channel options, after the client's own ``CHANNEL_OPTIONS``.
        interceptors: ``grpc`` client interceptors, applied to the channel.
        retry: use memoryd's service config (``service_config()``): safe calls retried on
            UNAVAILABLE with backoff, every call waiting for the channel to be ready within
            its deadline. Creates always carry a ``request_id`` so that a retry is safe.
        channel: a ready ``grpc.Channel`` to use instead of one made from the arguments
            above (then ``options``, credentials and ``retry`` are the channel's own).

    Failures raise ``memoryd.errors.MemorydError`` subclasses (``NotFound``,
    ``EtagMismatch``, ``InvalidArgument``, ...), which are ``grpc.RpcError`` too.

    Listing and searching take the same filter arguments (``MemoryFilter``):
    ``agent_id``, ``team_id``, ``any_topics`` (one of them), ``all_topics``
    (every one), ``labels`` (exact values) and ``show_expired``; ``topics``
    is the older name of ``any_topics``. ``order_by`` is ``"create_time"``
    or ``"update_time"``, optionally followed by ``" desc"``.
    """

    def __init__(
        self,
        address: str = "127.0.0.1:50051",
        *,
        token: Optional[str] = None,
        root_certificates: Optional[bytes] = None,
        private_key: Optional[bytes] = None,
        certificate_chain: Optional[bytes] = None,
        timeout: Optional[float] = 10.0,
        metadata: Sequence[Tuple[str, str]] = (),
        options: Sequence[Tuple[str, Any]] = (),
        interceptors: Sequence[Any] = (),
        retry: bool = True,
        channel: Optional[grpc.Channel] = None,
    ) -> None:
        if channel is None:
            channel = _open_channel(grpc, address, token, (root_certificates, private_key, certificate_chain), options, retry)
        self._channel = channel
        self.stub = memory_service_pb2_grpc.MemoryServiceStub(grpc.intercept_channel(channel, *interceptors) if interceptors else channel)
        _CallSettings.__init__(self, token, metadata, timeout)

    def _call(self, rpc: str, request: Any, shape: Callable[[Any], _R]) -> _R:
        """Makes the call ``rpc`` and returns ``shape(response)``; ``AsyncMemoryClient``
        runs the same methods with a ``_call`` that hands back what to send instead."""
        try:
            response = getattr(self.stub, rpc)(request, timeout=self._timeout, metadata=self._metadata)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        return shape(response)

    def _pages(self, rpc: str, request: Any, items: str, limit: int = 0) -> Iterator[Any]:
        """The ``items`` of every page of a listing, following page tokens (the request's
        ``skip`` applies to the first page only: the server skips after a token's position);
        up to ``limit`` when it is set, asking each page for what is still wanted."""
        found = _first_page(request, limit)
        while True:
            page = self._call(rpc, request, _itself)
            for item in getattr(page, items):
                yield item
                found += 1
            if not _next_page(request, page, found, limit):
                return

    def _collected(self, rpc: str, request: Any, items: str, limit: int) -> List[Any]:
        """``_pages`` up to ``limit``, as a list; without a limit, the first page's."""
        if not limit:
            return self._call(rpc, request, lambda page: list(getattr(page, items)))
        return list(self._pages(rpc, request, items, limit))

    # Writes

    def create(
        self,
        user_id: str,
        memory: str,
        *,
        topics: Sequence[str] = (),
        input: Optional[str] = None,
        memory_id: str = "",
        agent_id: str = "",
        team_id: str = "",
        feedback: Optional[str] = None,
        labels: Optional[Mapping[str, str]] = None,
        expire_time: Optional[TimeLike] = None,
        ttl: Optional[DurationLike] = None,
        request_id: str = "",
    ) -> UserMemory:
        """CreateUserMemory. The server picks memory_id when it is empty; a retry with the same
        ``request_id`` returns the first call's memory (one is made when none is given).
        ``expire_time`` or ``ttl`` make it expire."""
        user_memory = _user_memory(
            user_id,
            memory_id,
            memory,
            topics=topics,
            input=input,
            agent_id=agent_id,
            team_id=team_id,
            feedback=feedback,
            labels=labels,
            expire_time=expire_time,
            ttl=ttl,
        )
        # Always a request id: a retry (service config) then returns the first call's memory.
        request = memory_service_pb2.CreateUserMemoryRequest(user_memory=user_memory, request_id=request_id or _new_request_id())
        return self._call("CreateUserMemory", request, _user_memory_of)

    #: The memory.v1 name of ``create``.
    add = create

    def batch_create(
        self, memories: Iterable[Union[UserMemory, memory_service_pb2.CreateUserMemoryRequest]]
    ) -> List[UserMemory]:
        """BatchCreateUserMemories: up to 500, all or none. Entries are memories, or
        ``CreateUserMemoryRequest`` messages to give them request ids."""
        requests = [
            m if isinstance(m, memory_service_pb2.CreateUserMemoryRequest) else memory_service_pb2.CreateUserMemoryRequest(user_memory=m)
            for m in memories
        ]
        for index, entry in enumerate(requests):
            if not entry.request_id:
                # A copy: the caller's message stays as given.
                requests[index] = memory_service_pb2.CreateUserMemoryRequest(user_memory=entry.user_memory, request_id=_new_request_id())
        request = memory_service_pb2.BatchCreateUserMemoriesRequest(requests=requests)
        return self._call("BatchCreateUserMemories", request, _user_memories_of)

    #: The memory.v1 name of ``batch_create``.
    batch_add = batch_create

    def replace(
        self,
        user_id: str,
        memory_id: str,
        memory: str,
        *,
        topics: Sequence[str],
        input: Optional[str],
        agent_id: str,
        team_id: str,
        feedback: Optional[str],
        labels: Optional[Mapping[str, str]],
        expire_time: Optional[TimeLike],
        ttl: Optional[DurationLike] = None,
        etag: str = "",
        allow_missing: bool = False,
    ) -> UserMemory:
        """ReplaceUserMemory: every field becomes what is passed, so each must be passed
        (``None`` or empty clears it; ``ttl`` instead of ``expire_time`` sets the expiry from
        now). To change some fields and keep the rest, use ``update``. With ``allow_missing``
        a missing memory is created (an upsert); with ``etag`` the write happens only if the
        memory is unchanged since (``EtagMismatch`` otherwise)."""
        user_memory = _user_memory(
            user_id,
            memory_id,
            memory,
            topics=topics,
            input=input,
            agent_id=agent_id,
            team_id=team_id,
            feedback=feedback,
            labels=labels,
            expire_time=expire_time,
            ttl=ttl,
            etag=etag,
        )
        request = memory_service_pb2.ReplaceUserMemoryRequest(user_memory=user_memory, allow_missing=allow_missing)
        return self._call("ReplaceUserMemory", request, _user_memory_of)

    def update(
        self,
        user_id: str,
        memory_id: str,
        *,
        memory: Union[str, _Unset] = UNSET,
        topics: Union[Sequence[str], None, _Unset] = UNSET,
        input: Union[str, None, _Unset] = UNSET,
        agent_id: Union[str, None, _Unset] = UNSET,
        team_id: Union[str, None, _Unset] = UNSET,
        feedback: Union[str, None, _Unset] = UNSET,
        labels: Union[Mapping[str, str], None, _Unset] = UNSET,
        expire_time: Union[TimeLike, None, _Unset] = UNSET,
        ttl: Union[DurationLike, None, _Unset] = UNSET,
        etag: str = "",
        update_mask: Optional[Sequence[str]] = None,
    ) -> UserMemory:
        """UpdateUserMemory: changes the fields passed and no others.

        A field passed as ``None`` is cleared (``expire_time=None`` or ``ttl=None``: never
        expires). The update mask names the fields passed (``ttl`` as ``"expire_time"``);
        ``update_mask`` replaces it, for example ``["*"]`` for every field, or ``["input"]``
        alone to clear input. With ``etag`` the write happens only if the memory is
        unchanged since (ABORTED, ETAG_MISMATCH otherwise).
        """
        if expire_time is not UNSET and ttl is not UNSET:
            raise ValueError("pass expire_time or ttl, not both: they are one oneof")
        user_memory = UserMemory(user_id=user_id, memory_id=memory_id, etag=etag)
        paths: List[str] = []
        if memory is not UNSET:
            user_memory.memory = memory or ""
            paths.append("memory")
        if topics is not UNSET:
            user_memory.topics.extend(topics or ())
            paths.append("topics")
        if input is not UNSET:
            if input is not None:
                user_memory.input = input
            paths.append("input")
        if agent_id is not UNSET:
            user_memory.agent_id = agent_id or ""
            paths.append("agent_id")
        if team_id is not UNSET:
            user_memory.team_id = team_id or ""
            paths.append("team_id")
        if feedback is not UNSET:
            if feedback is not None:
                user_memory.feedback = feedback
            paths.append("feedback")
        if labels is not UNSET:
            user_memory.labels.update(labels or {})
            paths.append("labels")
        if expire_time is not UNSET or ttl is not UNSET:
            _set_expiration(
                user_memory,
                None if expire_time is UNSET else expire_time,
                None if ttl is UNSET else ttl,
            )
            paths.append("expire_time")
        mask = FieldMask(paths=list(update_mask) if update_mask is not None else paths)
        request = memory_service_pb2.UpdateUserMemoryRequest(user_memory=user_memory, update_mask=mask)
        return self._call("UpdateUserMemory", request, _user_memory_of)

    def batch_upsert(self, memories: Iterable[Union[UserMemory, UserMemoryUpsert]]) -> List[UserMemory]:
        """BatchUpsertUserMemories: writes up to 500 memories as given, ids and times kept, all or
        none (imports and restores; needs an operator token when authentication is on).

        A ``UserMemory`` keeps the create_time and update_time it carries (so memories read from
        one server can be written to another); the server's clock stands in for missing ones.
        ``UserMemoryUpsert`` messages are sent unchanged.
        """
        upserts = []
        for m in memories:
            if isinstance(m, UserMemoryUpsert):
                upserts.append(m)
                continue
            upsert = UserMemoryUpsert(user_memory=m)
            if m.HasField("create_time"):
                upsert.create_time.CopyFrom(m.create_time)
            if m.HasField("update_time"):
                upsert.update_time.CopyFrom(m.update_time)
            upserts.append(upsert)
        request = memory_service_pb2.BatchUpsertUserMemoriesRequest(upserts=upserts)
        return self._call("BatchUpsertUserMemories", request, _user_memories_of)

    def delete(self, user_id: str, memory_id: str, *, etag: str = "", allow_missing: bool = False) -> None:
        request = memory_service_pb2.DeleteUserMemoryRequest(
            user_id=user_id, memory_id=memory_id, etag=etag, allow_missing=allow_missing
        )
        return self._call("DeleteUserMemory", request, _nothing)

    def batch_delete(self, user_id: str, memory_ids: Iterable[str], *, allow_missing: bool = False) -> int:
        """BatchDeleteUserMemories: deletes up to 500 memories of one user, all or (when one is
        missing and not ``allow_missing``) none; returns how many were deleted."""
        request = memory_service_pb2.BatchDeleteUserMemoriesRequest(
            user_id=user_id, memory_ids=list(memory_ids), allow_missing=allow_missing
        )
        return self._call("BatchDeleteUserMemories", request, _deleted_count_of)

    def consolidate(
        self,
        user_id: str,
        memory_ids: Iterable[str],
        memories: Iterable[UserMemory],
        *,
        allow_missing: bool = False,
    ) -> Tuple[List[UserMemory], int]:
        """ConsolidateUserMemories: deletes ``memory_ids`` and creates ``memories`` (of
        ``user_id``; new ids, or none for the server to choose) in one transaction, or does
        neither; returns the created memories and how many were deleted."""
        request = memory_service_pb2.ConsolidateUserMemoriesRequest(
            user_id=user_id,
            memory_ids=list(memory_ids),
            user_memories=list(memories),
            allow_missing=allow_missing,
        )
        return self._call("ConsolidateUserMemories", request, lambda r: (list(r.user_memories), r.deleted_count))

    def clear(self, user_id: str = "", *, all_users: bool = False) -> int:
        """Deletes one user's memories, or with ``all_users=True`` everybody's; returns how many."""
        request = memory_service_pb2.ClearUserMemoriesRequest(user_id=user_id, all_users=all_users)
        return self._call("ClearUserMemories", request, _deleted_count_of)

    # Reads

    def get(self, user_id: str, memory_id: str) -> UserMemory:
        request = memory_service_pb2.GetUserMemoryRequest(user_id=user_id, memory_id=memory_id)
        return self._call("GetUserMemory", request, _user_memory_of)

    def list(
        self,
        user_id: str = "",
        *,
        page_size: int = 0,
        page_token: str = "",
        order_by: str = "",
        oldest_first: bool = False,
        agent_id: str = "",
        team_id: str = "",
        any_topics: Sequence[str] = (),
        all_topics: Sequence[str] = (),
        topics: Sequence[str] = (),
        labels: Optional[Mapping[str, str]] = None,
        show_expired: bool = False,
        skip: int = 0,
        include_total_size: bool = False,
        memory_ids: Sequence[str] = (),
        all_users: bool = False,
    ) -> memory_service_pb2.ListUserMemoriesResponse:
        """One page of ListUserMemories: newest created first unless ``order_by`` (or
        ``oldest_first``, ``"create_time"``) says otherwise. ``skip`` passes over memories
        after ``page_token``'s position; ``include_total_size`` fills ``total_size``.
        ``memory_ids`` keeps only those ids; ``all_users=True`` (and no ``user_id``) lists
        every user's memories, for a token whose scope is every user."""
        request = memory_service_pb2.ListUserMemoriesRequest(
            user_id=user_id,
            all_users=all_users,
            page_size=page_size,
            page_token=page_token,
            order_by=_order(order_by, oldest_first, "oldest_first", "create_time"),
            filter=_filter(
                agent_id=agent_id,
                team_id=team_id,
                any_topics=any_topics,
                all_topics=all_topics,
                topics=topics,
                labels=labels,
                show_expired=show_expired,
                memory_ids=memory_ids,
            ),
            skip=skip,
            include_total_size=include_total_size,
        )
        return self._call("ListUserMemories", request, _itself)

    def iter_memories(
        self,
        user_id: str = "",
        *,
        order_by: str = "",
        oldest_first: bool = False,
        agent_id: str = "",
        team_id: str = "",
        any_topics: Sequence[str] = (),
        all_topics: Sequence[str] = (),
        topics: Sequence[str] = (),
        labels: Optional[Mapping[str, str]] = None,
        show_expired: bool = False,
        skip: int = 0,
        page_size: int = 1000,
        memory_ids: Sequence[str] = (),
        all_users: bool = False,
    ) -> Iterator[UserMemory]:
        """Every memory of a user that matches, page by page (keyset pages: stable while others
        write), after the first ``skip``."""
        planned = _planned(
            _PLAN.list(
                user_id,
                page_size=page_size,
                order_by=order_by,
                oldest_first=oldest_first,
                agent_id=agent_id,
                team_id=team_id,
                any_topics=any_topics,
                all_topics=all_topics,
                topics=topics,
                labels=labels,
                show_expired=show_expired,
                skip=skip,
                memory_ids=memory_ids,
                all_users=all_users,
            )
        )
        return self._pages(planned.rpc, planned.request, "user_memories")

    def search_page(
        self,
        user_id: str = "",
        *,
        query: str = "",
        order_by: str = "",
        first_n: bool = False,
        agent_id: str = "",
        team_id: str = "",
        any_topics: Sequence[str] = (),
        all_topics: Sequence[str] = (),
        topics: Sequence[str] = (),
        labels: Optional[Mapping[str, str]] = None,
        show_expired: bool = False,
        page_size: int = 0,
        page_token: str = "",
        skip: int = 0,
        include_total_size: bool = False,
        all_users: bool = False,
    ) -> memory_service_pb2.SearchUserMemoriesResponse:
        """One page of SearchUserMemories: memories whose text contains ``query`` (ignoring
        case), most recently updated first unless ``order_by`` (or ``first_n``,
        ``"update_time"``) says otherwise."""
        request = memory_service_pb2.SearchUserMemoriesRequest(
            user_id=user_id,
            all_users=all_users,
            query=query,
            filter=_filter(
                agent_id=agent_id,
                team_id=team_id,
                any_topics=any_topics,
                all_topics=all_topics,
                topics=topics,
                labels=labels,
                show_expired=show_expired,
            ),
            order_by=_order(order_by, first_n, "first_n", "update_time"),
            page_size=page_size,
            page_token=page_token,
            skip=skip,
            include_total_size=include_total_size,
        )
        return self._call("SearchUserMemories", request, _itself)

    def search(
        self,
        user_id: str,
        *,
        query: str = "",
        topics: Sequence[str] = (),
        first_n: bool = False,
        limit: int = 0,
        order_by: str = "",
        agent_id: str = "",
        team_id: str = "",
        any_topics: Sequence[str] = (),
        all_topics: Sequence[str] = (),
        labels: Optional[Mapping[str, str]] = None,
        show_expired: bool = False,
        skip: int = 0,
    ) -> List[UserMemory]:
        """Up to `limit` matches (the server's default page when 0), after the first ``skip``.
        A page may stop short to stay under the message size limit; the following pages are
        read until `limit` is reached."""
        planned = _planned(
            _PLAN.search_page(
                user_id,
                query=query,
                order_by=order_by,
                first_n=first_n,
                agent_id=agent_id,
                team_id=team_id,
                any_topics=any_topics,
                all_topics=all_topics,
                topics=topics,
                labels=labels,
                show_expired=show_expired,
                skip=skip,
            )
        )
        return self._collected(planned.rpc, planned.request, "user_memories", limit)

    def list_topics(
        self,
        user_id: str = "",
        *,
        agent_id: str = "",
        team_id: str = "",
        page_size: int = 0,
        page_token: str = "",
    ) -> memory_service_pb2.ListMemoryTopicsResponse:
        """One page of ListMemoryTopics: a user's topics (every user's when ``user_id`` is
        empty, which needs a token that covers all users) with their memory counts, by name."""
        request = memory_service_pb2.ListMemoryTopicsRequest(
            user_id=user_id, agent_id=agent_id, team_id=team_id, page_size=page_size, page_token=page_token
        )
        return self._call("ListMemoryTopics", request, _itself)

    def iter_topics(
        self, user_id: str = "", *, agent_id: str = "", team_id: str = "", page_size: int = 1000
    ) -> Iterator[MemoryTopic]:
        """Every topic of ``list_topics``, page by page."""
        planned = _planned(_PLAN.list_topics(user_id, agent_id=agent_id, team_id=team_id, page_size=page_size))
        return self._pages(planned.rpc, planned.request, "topics")

    def list_user_stats(
        self,
        user_id: str = "",
        *,
        page_size: int = 0,
        page_token: str = "",
        skip: int = 0,
        include_total_size: bool = False,
    ) -> memory_service_pb2.ListUserStatsResponse:
        """One page of ListUserStats: memory count and last update per user, most recently
        updated first; every user's when ``user_id`` is empty (a token that covers all users)."""
        request = memory_service_pb2.ListUserStatsRequest(
            user_id=user_id, page_size=page_size, page_token=page_token, skip=skip, include_total_size=include_total_size
        )
        return self._call("ListUserStats", request, _itself)

    def iter_user_stats(self, user_id: str = "", *, skip: int = 0, page_size: int = 1000) -> Iterator[UserStats]:
        """Every entry of ``list_user_stats``, page by page, after the first ``skip``."""
        planned = _planned(_PLAN.list_user_stats(user_id, page_size=page_size, skip=skip))
        return self._pages(planned.rpc, planned.request, "user_stats")

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "MemoryClient":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


@dataclass
class _Planned:
    """A call a ``MemoryClient`` method would make, for ``_Planner``: the RPC and its request,
    and either how to shape one response or, with ``items``, the pages to read."""

    rpc: str
    request: Any
    shape: Callable[[Any], Any] = _itself
    items: str = ""
    limit: int = 0
    #: ``_collected`` (a list) rather than ``_pages`` (an iterator).
    collect: bool = False


class _Planner(MemoryClient):
    """A client that sends nothing: each method returns the ``_Planned`` call it would make.
    The iterators build their first request with the one-page method, and ``AsyncMemoryClient``
    runs every method's plan on ``grpc.aio``, so requests are built in one place."""

    def __init__(self) -> None:
        _CallSettings.__init__(self, None, (), None)

    def _call(self, rpc: str, request: Any, shape: Callable[[Any], _R]) -> _R:
        return _Planned(rpc, request, shape)  # type: ignore[return-value]

    def _pages(self, rpc: str, request: Any, items: str, limit: int = 0) -> Iterator[Any]:
        return _Planned(rpc, request, items=items, limit=limit)  # type: ignore[return-value]

    def _collected(self, rpc: str, request: Any, items: str, limit: int) -> List[Any]:
        return _Planned(rpc, request, items=items, limit=limit, collect=True)  # type: ignore[return-value]


_PLAN = _Planner()


def _planned(result: Any) -> _Planned:
    assert isinstance(result, _Planned), result
    return result
