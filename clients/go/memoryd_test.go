// Package memoryd_test exercises the generated Go client against a running
// memoryd. It needs MEMORYD_ADDRESS (host:port); test/clients/go.test.ts
// starts a server and runs `go test` with it.
package memoryd_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	memorydv1 "memoryd.dev/memoryd/gen/go/memoryd/v1"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

func client(t *testing.T) memorydv1.MemoryServiceClient {
	t.Helper()
	address := os.Getenv("MEMORYD_ADDRESS")
	if address == "" {
		t.Skip("MEMORYD_ADDRESS is not set")
	}
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial %s: %v", address, err)
	}
	t.Cleanup(func() { conn.Close() })
	return memorydv1.NewMemoryServiceClient(conn)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func user(t *testing.T) string {
	return fmt.Sprintf("go-%s-%d", t.Name(), time.Now().UnixNano())
}

func codeOf(err error) codes.Code { return status.Code(err) }

func TestLifecycle(t *testing.T) {
	c, userID := client(t), user(t)

	created, err := c.CreateUserMemory(ctx(t), &memorydv1.CreateUserMemoryRequest{
		UserMemory: &memorydv1.UserMemory{UserId: userID, Memory: "Prefers dark mode", Topics: []string{"ui"}},
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	m := created.GetUserMemory()
	if m.GetMemoryId() == "" || m.GetEtag() == "" || m.GetCreateTime() == nil {
		t.Fatalf("create returned %v", m)
	}

	got, err := c.GetUserMemory(ctx(t), &memorydv1.GetUserMemoryRequest{UserId: userID, MemoryId: m.GetMemoryId()})
	if err != nil || got.GetUserMemory().GetMemory() != "Prefers dark mode" {
		t.Fatalf("get: %v %v", got, err)
	}

	replaced, err := c.ReplaceUserMemory(ctx(t), &memorydv1.ReplaceUserMemoryRequest{
		UserMemory: &memorydv1.UserMemory{UserId: userID, MemoryId: m.GetMemoryId(), Memory: "Prefers light mode", Etag: m.GetEtag()},
	})
	if err != nil || replaced.GetUserMemory().GetEtag() == m.GetEtag() {
		t.Fatalf("replace: %v %v", replaced, err)
	}
	_, err = c.ReplaceUserMemory(ctx(t), &memorydv1.ReplaceUserMemoryRequest{
		UserMemory: &memorydv1.UserMemory{UserId: userID, MemoryId: m.GetMemoryId(), Memory: "stale", Etag: m.GetEtag()},
	})
	if codeOf(err) != codes.Aborted {
		t.Fatalf("stale replace: want ABORTED, got %v", err)
	}
	var info *errdetails.ErrorInfo
	for _, d := range status.Convert(err).Details() {
		if e, ok := d.(*errdetails.ErrorInfo); ok {
			info = e
		}
	}
	if info.GetReason() != "ETAG_MISMATCH" {
		t.Fatalf("stale replace details: %v", status.Convert(err).Details())
	}

	found, err := c.SearchUserMemories(ctx(t), &memorydv1.SearchUserMemoriesRequest{UserId: userID, Query: "LIGHT"})
	if err != nil || len(found.GetUserMemories()) != 1 {
		t.Fatalf("search: %v %v", found, err)
	}

	if _, err := c.DeleteUserMemory(ctx(t), &memorydv1.DeleteUserMemoryRequest{UserId: userID, MemoryId: m.GetMemoryId()}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = c.GetUserMemory(ctx(t), &memorydv1.GetUserMemoryRequest{UserId: userID, MemoryId: m.GetMemoryId()})
	if codeOf(err) != codes.NotFound {
		t.Fatalf("get after delete: want NOT_FOUND, got %v", err)
	}
}

func TestListPagesToTheEnd(t *testing.T) {
	c, userID := client(t), user(t)
	var requests []*memorydv1.CreateUserMemoryRequest
	for i := 0; i < 25; i++ {
		requests = append(requests, &memorydv1.CreateUserMemoryRequest{UserMemory: &memorydv1.UserMemory{UserId: userID, Memory: fmt.Sprintf("m%d", i)}})
	}
	if _, err := c.BatchCreateUserMemories(ctx(t), &memorydv1.BatchCreateUserMemoriesRequest{Requests: requests}); err != nil {
		t.Fatalf("batch create: %v", err)
	}
	seen := map[string]bool{}
	token, pages := "", 0
	for {
		page, err := c.ListUserMemories(ctx(t), &memorydv1.ListUserMemoriesRequest{UserId: userID, PageSize: 10, PageToken: token, OrderBy: "create_time"})
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		pages++
		for _, m := range page.GetUserMemories() {
			seen[m.GetMemory()] = true
		}
		if token = page.GetNextPageToken(); token == "" {
			break
		}
	}
	if len(seen) != 25 || pages != 3 {
		t.Fatalf("saw %d memories in %d pages", len(seen), pages)
	}

	cleared, err := c.ClearUserMemories(ctx(t), &memorydv1.ClearUserMemoriesRequest{UserId: userID})
	if err != nil || cleared.GetDeletedCount() != 25 {
		t.Fatalf("clear: %v %v", cleared, err)
	}
}

func TestInvalidRequestNamesTheFields(t *testing.T) {
	c := client(t)
	_, err := c.CreateUserMemory(ctx(t), &memorydv1.CreateUserMemoryRequest{UserMemory: &memorydv1.UserMemory{UserId: "", Memory: ""}})
	if codeOf(err) != codes.InvalidArgument {
		t.Fatalf("want INVALID_ARGUMENT, got %v", err)
	}
	var fields []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		}
	}
	// Every offending field is named; the order of the violations is not part of the API.
	sort.Strings(fields)
	if fmt.Sprint(fields) != "[user_memory.memory user_memory.user_id]" {
		t.Fatalf("field violations: %v", fields)
	}
	_, err = c.ClearUserMemories(ctx(t), &memorydv1.ClearUserMemoriesRequest{})
	if codeOf(err) != codes.InvalidArgument {
		t.Fatalf("clear without user: want INVALID_ARGUMENT, got %v", err)
	}
}

func TestUpdateChangesOnlyTheMaskedFields(t *testing.T) {
	c, userID := client(t), user(t)
	created, err := c.CreateUserMemory(ctx(t), &memorydv1.CreateUserMemoryRequest{
		UserMemory: &memorydv1.UserMemory{
			UserId:     userID,
			Memory:     "Likes tea",
			Topics:     []string{"food"},
			Input:      proto.String("tea please"),
			AgentId:    "planner",
			Labels:     map[string]string{"source": "chat"},
			Expiration: &memorydv1.UserMemory_Ttl{Ttl: durationpb.New(time.Hour)},
		},
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	m := created.GetUserMemory()
	if m.GetExpireTime() == nil || m.GetAgentId() != "planner" {
		t.Fatalf("create returned %v", m)
	}

	// The mask names memory and feedback: topics, input, labels and the
	// expiration stay although user_memory leaves them empty.
	updated, err := c.UpdateUserMemory(ctx(t), &memorydv1.UpdateUserMemoryRequest{
		UserMemory: &memorydv1.UserMemory{UserId: userID, MemoryId: m.GetMemoryId(), Memory: "Likes green tea", Feedback: proto.String("right"), Etag: m.GetEtag()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"memory", "feedback"}},
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	u := updated.GetUserMemory()
	if u.GetMemory() != "Likes green tea" || u.GetFeedback() != "right" || fmt.Sprint(u.GetTopics()) != "[food]" ||
		u.GetInput() != "tea please" || u.GetLabels()["source"] != "chat" || !proto.Equal(u.GetExpireTime(), m.GetExpireTime()) ||
		!proto.Equal(u.GetCreateTime(), m.GetCreateTime()) || u.GetEtag() == m.GetEtag() {
		t.Fatalf("update returned %v, was %v", u, m)
	}

	// A field the mask names and user_memory leaves unset is cleared.
	cleared, err := c.UpdateUserMemory(ctx(t), &memorydv1.UpdateUserMemoryRequest{
		UserMemory: &memorydv1.UserMemory{UserId: userID, MemoryId: m.GetMemoryId()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"input", "labels", "expire_time"}},
	})
	if err != nil {
		t.Fatalf("update to clear: %v", err)
	}
	if cm := cleared.GetUserMemory(); cm.Input != nil || len(cm.GetLabels()) != 0 || cm.GetExpiration() != nil || cm.GetMemory() != "Likes green tea" {
		t.Fatalf("update to clear returned %v", cm)
	}

	// The etag of before the first update no longer matches.
	_, err = c.UpdateUserMemory(ctx(t), &memorydv1.UpdateUserMemoryRequest{
		UserMemory: &memorydv1.UserMemory{UserId: userID, MemoryId: m.GetMemoryId(), Memory: "stale", Etag: m.GetEtag()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"memory"}},
	})
	if codeOf(err) != codes.Aborted {
		t.Fatalf("stale update: want ABORTED, got %v", err)
	}
	_, err = c.UpdateUserMemory(ctx(t), &memorydv1.UpdateUserMemoryRequest{
		UserMemory: &memorydv1.UserMemory{UserId: userID, MemoryId: m.GetMemoryId(), Memory: "x"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"create_time"}},
	})
	if codeOf(err) != codes.InvalidArgument {
		t.Fatalf("update of an output-only field: want INVALID_ARGUMENT, got %v", err)
	}
}

func TestFiltersTopicsAndBatchDelete(t *testing.T) {
	c, userID := client(t), user(t)
	var requests []*memorydv1.CreateUserMemoryRequest
	for i := 0; i < 6; i++ {
		agent := "a"
		if i%2 == 1 {
			agent = "b"
		}
		requests = append(requests, &memorydv1.CreateUserMemoryRequest{UserMemory: &memorydv1.UserMemory{
			UserId: userID, Memory: fmt.Sprintf("m%d", i), AgentId: agent, Topics: []string{"all", fmt.Sprintf("t%d", i%3)},
		}})
	}
	batch, err := c.BatchCreateUserMemories(ctx(t), &memorydv1.BatchCreateUserMemoriesRequest{Requests: requests})
	if err != nil {
		t.Fatalf("batch create: %v", err)
	}

	page, err := c.ListUserMemories(ctx(t), &memorydv1.ListUserMemoriesRequest{
		UserId: userID, OrderBy: "create_time", IncludeTotalSize: true,
		Filter: &memorydv1.MemoryFilter{AgentId: "b", AnyTopics: []string{"t0", "t1"}},
	})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	var listed []string
	for _, m := range page.GetUserMemories() {
		listed = append(listed, m.GetMemory())
	}
	if fmt.Sprint(listed) != "[m1 m3]" || page.TotalSize == nil || page.GetTotalSize() != 2 {
		t.Fatalf("filtered list: %v, total %v", listed, page.TotalSize)
	}

	topics, err := c.ListMemoryTopics(ctx(t), &memorydv1.ListMemoryTopicsRequest{UserId: userID, AgentId: "a"})
	if err != nil {
		t.Fatalf("topics: %v", err)
	}
	var counted []string
	for _, topic := range topics.GetTopics() {
		counted = append(counted, fmt.Sprintf("%s=%d", topic.GetTopic(), topic.GetMemoryCount()))
	}
	if fmt.Sprint(counted) != "[all=3 t0=1 t1=1 t2=1]" {
		t.Fatalf("topics of agent a: %v", counted)
	}

	ids := []string{batch.GetUserMemories()[0].GetMemoryId(), batch.GetUserMemories()[1].GetMemoryId(), "no-such-memory"}
	_, err = c.BatchDeleteUserMemories(ctx(t), &memorydv1.BatchDeleteUserMemoriesRequest{UserId: userID, MemoryIds: ids})
	if codeOf(err) != codes.NotFound {
		t.Fatalf("batch delete with a missing id: want NOT_FOUND, got %v", err)
	}
	deleted, err := c.BatchDeleteUserMemories(ctx(t), &memorydv1.BatchDeleteUserMemoriesRequest{UserId: userID, MemoryIds: ids, AllowMissing: true})
	if err != nil || deleted.GetDeletedCount() != 2 {
		t.Fatalf("batch delete: %v %v", deleted, err)
	}
	stats, err := c.ListUserStats(ctx(t), &memorydv1.ListUserStatsRequest{UserId: userID})
	if err != nil || len(stats.GetUserStats()) != 1 || stats.GetUserStats()[0].GetMemoryCount() != 4 {
		t.Fatalf("user stats: %v %v", stats, err)
	}
}
