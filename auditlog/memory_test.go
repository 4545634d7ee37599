package auditlog_test

import (
	"testing"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/auditlog/auditlogtest"
)

func TestMemoryStorage(t *testing.T) {
	auditlogtest.TestStorage(t, func(t *testing.T) auditlog.Storage { return auditlog.NewMemoryStorage() })
}
