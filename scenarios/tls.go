package scenarios

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/loadgate/loadgate/record"
)

// TLSConfig is the client TLS configuration of target.tls, its files read
// relative to the scenario file; nil when target.tls sets nothing.
func (s *Scenario) TLSConfig() (*tls.Config, error) {
	cfg, field, err := s.tlsConfig()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return cfg, nil
}

// tlsConfig builds the configuration; on error it names the field at fault.
func (s *Scenario) tlsConfig() (*tls.Config, string, error) {
	t := s.Target.TLS
	if t == (TLS{}) {
		return nil, "", nil
	}
	cfg := &tls.Config{
		InsecureSkipVerify: t.InsecureSkipVerify, //nolint:gosec // the user asked for it, for test environments
		ServerName:         t.ServerName,
	}
	if t.CAFile != "" {
		pem, err := record.ReadRegular(s.dataPath(t.CAFile), 1<<20)
		if err != nil {
			return nil, "target.tls.ca_file", err
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, "target.tls.ca_file", fmt.Errorf("%s holds no PEM certificate", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	switch {
	case t.CertFile != "" && t.KeyFile != "":
		cert, err := tls.LoadX509KeyPair(s.dataPath(t.CertFile), s.dataPath(t.KeyFile))
		if err != nil {
			return nil, "target.tls.cert_file", fmt.Errorf("client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	case t.CertFile != "":
		return nil, "target.tls.key_file", errors.New("cert_file needs its key_file")
	case t.KeyFile != "":
		return nil, "target.tls.cert_file", errors.New("key_file needs its cert_file")
	}
	return cfg, "", nil
}
