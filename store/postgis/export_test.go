package postgis

import "context"

// ExecForTest runs SQL on s's pool, for tests that set up states the API
// cannot reach.
func ExecForTest(ctx context.Context, s *Store, sql string) error {
	_, err := s.pool.Exec(ctx, sql)
	return err
}
