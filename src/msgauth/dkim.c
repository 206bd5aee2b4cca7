/*
 * Names of DKIM results and algorithms (RFC 8601 2.7.1, RFC 6376 3.3, RFC 8463).
 */
#include "msgauth/dkim.h"

const char *dkim_status_name(enum dkim_status s)
{
	switch (s) {
	case DKIM_NONE: return "none";
	case DKIM_PASS: return "pass";
	case DKIM_FAIL: return "fail";
	case DKIM_POLICY: return "policy";
	case DKIM_NEUTRAL: return "neutral";
	case DKIM_TEMPERROR: return "temperror";
	case DKIM_PERMERROR: return "permerror";
	}
	return "permerror";
}

const char *dkim_hash_name(enum dkim_hash_alg h)
{
	switch (h) {
	case DKIM_HASH_SHA1: return "sha1";
	case DKIM_HASH_SHA256: return "sha256";
	case DKIM_HASH_UNKNOWN: break;
	}
	return NULL;
}

const char *dkim_key_name(enum dkim_key_alg k)
{
	switch (k) {
	case DKIM_KEY_RSA: return "rsa";
	case DKIM_KEY_ED25519: return "ed25519";
	case DKIM_KEY_UNKNOWN: break;
	}
	return NULL;
}

size_t dkim_hash_len(enum dkim_hash_alg h)
{
	switch (h) {
	case DKIM_HASH_SHA1: return 20;
	case DKIM_HASH_SHA256: return 32;
	case DKIM_HASH_UNKNOWN: break;
	}
	return 0;
}
