#include "auth/sasl_conn.h"

#include "base/str.h"

#include <stdio.h>
#include <string.h>

bool auth_tls_from_conn(struct conn *c, struct auth_tls *out, struct error *err)
{
	memset(out, 0, sizeof *out);
	const struct tls_info *info = conn_tls(c);
	if (!info)
		return true;
	out->active = true;
	bool tls13 = strcmp(info->version, "TLS1.3") == 0;
	/* conn_tls_exporter refuses TLS 1.2 without the extended master secret (RFC 9266 3);
	 * that is not an error here, just no tls-exporter binding. */
	out->have_exporter = conn_tls_exporter(c, out->exporter, NULL);
	if (!tls13) {
		size_t n = 0;
		if (!conn_tls_unique(c, out->unique, sizeof out->unique, &n, err))
			return error_prefix(err, "channel binding");
		out->have_unique = true;
		out->unique_len = n;
	}
	out->client_cert = info->client_cert;
	if (info->client_cert)
		str_copy(out->client_fp, sizeof out->client_fp, info->client_fp);
	return true;
}

void auth_tls_describe(const struct tls_info *info, char *out, size_t cap)
{
	if (!info) {
		snprintf(out, cap, "%s", "");
		return;
	}
	char version[sizeof info->version], cipher[sizeof info->cipher];
	str_copy(version, sizeof version, info->version);
	str_copy(cipher, sizeof cipher, info->cipher);
	ascii_lower_inplace(version);
	ascii_lower_inplace(cipher);
	snprintf(out, cap, "version=%s ciphersuite=%s sni=%s resumed=%s alpn=%s", version, cipher,
		 info->sni, info->resumed ? "true" : "false", info->alpn);
}
