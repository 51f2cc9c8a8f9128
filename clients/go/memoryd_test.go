// Package memoryd_test exercises the generated Go client against a running
// memoryd. It needs MEMORYD_ADDRESS (host:port); test/clients/go.test.ts
// starts a server and runs `go test` with it.
package memoryd_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	memoryv1 "memoryd.dev/memoryd/gen/go/memory/v1"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

func client(t *testing.T) memoryv1.MemoryServiceClient {
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
	return memoryv1.NewMemoryServiceClient(conn)
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

	added, err := c.AddUserMemory(ctx(t), &memoryv1.AddUserMemoryRequest{
		UserMemory: &memoryv1.UserMemory{UserId: userID, Memory: "Prefers dark mode", Topics: []string{"ui"}},
	})
	if err != nil {
		t.Fatalf("add: %v", err)
	}
	m := added.GetUserMemory()
	if m.GetMemoryId() == "" || m.GetEtag() == "" || m.GetCreateTime() == nil {
		t.Fatalf("add returned %v", m)
	}

	got, err := c.GetUserMemory(ctx(t), &memoryv1.GetUserMemoryRequest{UserId: userID, MemoryId: m.GetMemoryId()})
	if err != nil || got.GetUserMemory().GetMemory() != "Prefers dark mode" {
		t.Fatalf("get: %v %v", got, err)
	}

	replaced, err := c.ReplaceUserMemory(ctx(t), &memoryv1.ReplaceUserMemoryRequest{
		UserMemory: &memoryv1.UserMemory{UserId: userID, MemoryId: m.GetMemoryId(), Memory: "Prefers light mode", Etag: m.GetEtag()},
	})
	if err != nil || replaced.GetUserMemory().GetEtag() == m.GetEtag() {
		t.Fatalf("replace: %v %v", replaced, err)
	}
	_, err = c.ReplaceUserMemory(ctx(t), &memoryv1.ReplaceUserMemoryRequest{
		UserMemory: &memoryv1.UserMemory{UserId: userID, MemoryId: m.GetMemoryId(), Memory: "stale", Etag: m.GetEtag()},
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

	found, err := c.SearchUserMemories(ctx(t), &memoryv1.SearchUserMemoriesRequest{UserId: userID, Query: "LIGHT"})
	if err != nil || len(found.GetUserMemories()) != 1 {
		t.Fatalf("search: %v %v", found, err)
	}

	if _, err := c.DeleteUserMemory(ctx(t), &memoryv1.DeleteUserMemoryRequest{UserId: userID, MemoryId: m.GetMemoryId()}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = c.GetUserMemory(ctx(t), &memoryv1.GetUserMemoryRequest{UserId: userID, MemoryId: m.GetMemoryId()})
	if codeOf(err) != codes.NotFound {
		t.Fatalf("get after delete: want NOT_FOUND, got %v", err)
	}
}

func TestListPagesToTheEnd(t *testing.T) {
	c, userID := client(t), user(t)
	var requests []*memoryv1.AddUserMemoryRequest
	for i := 0; i < 25; i++ {
		requests = append(requests, &memoryv1.AddUserMemoryRequest{UserMemory: &memoryv1.UserMemory{UserId: userID, Memory: fmt.Sprintf("m%d", i)}})
	}
	if _, err := c.BatchAddUserMemories(ctx(t), &memoryv1.BatchAddUserMemoriesRequest{Requests: requests}); err != nil {
		t.Fatalf("batch add: %v", err)
	}
	seen := map[string]bool{}
	token, pages := "", 0
	for {
		page, err := c.ListUserMemories(ctx(t), &memoryv1.ListUserMemoriesRequest{UserId: userID, PageSize: 10, PageToken: token, Order: memoryv1.ListOrder_LIST_ORDER_OLDEST_FIRST})
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

	cleared, err := c.ClearUserMemories(ctx(t), &memoryv1.ClearUserMemoriesRequest{UserId: userID})
	if err != nil || cleared.GetDeletedCount() != 25 {
		t.Fatalf("clear: %v %v", cleared, err)
	}
}

func TestInvalidRequestNamesTheFields(t *testing.T) {
	c := client(t)
	_, err := c.AddUserMemory(ctx(t), &memoryv1.AddUserMemoryRequest{UserMemory: &memoryv1.UserMemory{UserId: "", Memory: ""}})
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
	if fmt.Sprint(fields) != "[user_memory.user_id user_memory.memory]" {
		t.Fatalf("field violations: %v", fields)
	}
	_, err = c.ClearUserMemories(ctx(t), &memoryv1.ClearUserMemoriesRequest{})
	if codeOf(err) != codes.InvalidArgument {
		t.Fatalf("clear without user: want INVALID_ARGUMENT, got %v", err)
	}
}
