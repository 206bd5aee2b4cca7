#include "dns/rdata.h"

#include "base/str.h"

#include <stdio.h>
#include <string.h>

/* RFC 1035 2.3.4. */
#define WIRE_NAME_MAX 255

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool put_text(char *out, size_t *n, unsigned char c)
{
	if (ascii_isalnum(c) || c == '-' || c == '_') {
		if (*n + 1 >= DNS_TEXT_NAME_MAX)
			return false;
		out[(*n)++] = ascii_lower((char)c);
		return true;
	}
	if (*n + 4 >= DNS_TEXT_NAME_MAX)
		return false;
	snprintf(out + *n, DNS_TEXT_NAME_MAX - *n, "\\%03u", c);
	*n += 4;
	return true;
}

bool dns_wire_name_text(const uint8_t *p, size_t len, size_t *off, char *out, struct error *err)
{
	size_t i = *off, n = 0, wire = 0;
	out[0] = '\0';
	for (;;) {
		if (i >= len)
			return error_set(err, ERR_INVALID, "name runs past the record data");
		uint8_t l = p[i++];
		wire++;
		if (l == 0)
			break;
		if (l > DNS_LABEL_MAX)
			return error_set(err, ERR_INVALID, "label length %u is no plain label", l);
		if (l > len - i)
			return error_set(err, ERR_INVALID, "label runs past the record data");
		wire += l;
		if (wire > WIRE_NAME_MAX)
			return error_set(err, ERR_INVALID, "name longer than %d octets",
					 WIRE_NAME_MAX);
		if (n > 0)
			out[n++] = '.';
		for (size_t k = 0; k < l; k++)
			if (!put_text(out, &n, p[i + k]))
				return error_set(err, ERR_LIMIT, "name too long");
		i += l;
	}
	if (wire > WIRE_NAME_MAX)
		return error_set(err, ERR_INVALID, "name longer than %d octets", WIRE_NAME_MAX);
	if (n == 0)
		out[n++] = '.';
	out[n] = '\0';
	*off = i;
	return true;
}

/* The next label of a presentation name at *in into label; advances past its dot. */
static bool presentation_label(const char **in, uint8_t *label, size_t *len, struct error *err)
{
	const char *p = *in;
	size_t n = 0;
	while (*p && *p != '.') {
		unsigned c = (unsigned char)*p++;
		if (c == '\\') {
			if (ascii_isdigit(p[0]) && ascii_isdigit(p[1]) && ascii_isdigit(p[2])) {
				c = (unsigned)((p[0] - '0') * 100 + (p[1] - '0') * 10 +
					       (p[2] - '0'));
				p += 3;
				if (c > 255)
					return error_set(err, ERR_INVALID,
							 "bad \\DDD escape in name");
			} else if (*p) {
				c = (unsigned char)*p++;
			} else {
				return error_set(err, ERR_INVALID, "name ends in a backslash");
			}
		}
		if (n == DNS_LABEL_MAX)
			return error_set(err, ERR_INVALID, "label longer than %d octets",
					 DNS_LABEL_MAX);
		label[n++] = (uint8_t)c;
	}
	if (*p == '.')
		p++;
	*in = p;
	*len = n;
	return true;
}

bool dns_presentation_name_text(const char *in, char *out, struct error *err)
{
	/* Build the wire form, then write it as dns_wire_name_text does. */
	uint8_t wire[WIRE_NAME_MAX + DNS_LABEL_MAX + 2];
	size_t n = 0;
	out[0] = '\0';
	if (strcmp(in, ".") == 0)
		in++;
	while (*in) {
		uint8_t label[DNS_LABEL_MAX];
		size_t len = 0;
		if (!presentation_label(&in, label, &len, err))
			return false;
		if (len == 0)
			return error_set(err, ERR_INVALID, "empty label in name");
		if (n + 1 + len + 1 > WIRE_NAME_MAX)
			return error_set(err, ERR_INVALID, "name longer than %d octets",
					 WIRE_NAME_MAX);
		wire[n++] = (uint8_t)len;
		memcpy(wire + n, label, len);
		n += len;
	}
	wire[n++] = 0;
	size_t off = 0;
	return dns_wire_name_text(wire, n, &off, out, err);
}

static bool parse_name_rdata(const uint8_t *p, size_t len, size_t *off, struct arena *a,
			     const char **out, struct error *err)
{
	char text[DNS_TEXT_NAME_MAX];
	if (!dns_wire_name_text(p, len, off, text, err))
		return false;
	*out = arena_strdup(a, text);
	return true;
}

/* RFC 1035 3.3.14: one or more <character-string>s, a length octet each. */
static bool parse_txt(const uint8_t *p, size_t len, struct arena *a, struct dns_txt *txt,
		      struct error *err)
{
	if (len == 0)
		return error_set(err, ERR_INVALID, "TXT record without a string");
	size_t total = 0;
	for (size_t i = 0; i < len; i += 1 + p[i]) {
		if (p[i] > len - i - 1)
			return error_set(err, ERR_INVALID, "TXT string runs past the record data");
		total += p[i];
	}
	char *data = arena_alloc(a, total + 1);
	size_t n = 0;
	for (size_t i = 0; i < len; i += 1 + p[i]) {
		memcpy(data + n, p + i + 1, p[i]);
		n += p[i];
	}
	data[n] = '\0';
	txt->data = data;
	txt->len = n;
	return true;
}

static bool check_end(size_t off, size_t len, const char *type, struct error *err)
{
	if (off != len)
		return error_set(err, ERR_INVALID, "%s record has %zu bytes after its data", type,
				 len - off);
	return true;
}

static bool parse_fixed(enum dns_type type, const uint8_t *p, size_t len, struct arena *a,
			struct dns_record *rec, struct error *err)
{
	size_t off = 0;
	switch (type) {
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA:
		if (len != (type == DNS_TYPE_A ? 4u : 16u))
			return error_set(err, ERR_INVALID, "%s record of %zu bytes",
					 dns_type_name(type), len);
		/* ip_from_bytes would turn a v4-mapped AAAA into IPv4; keep what DNS said. */
		memset(&rec->ip, 0, sizeof rec->ip);
		rec->ip.family = type == DNS_TYPE_A ? IP_V4 : IP_V6;
		memcpy(rec->ip.b, p, len);
		return true;
	case DNS_TYPE_CNAME:
	case DNS_TYPE_PTR:
	case DNS_TYPE_NS:
		return parse_name_rdata(p, len, &off, a, &rec->name, err) &&
		       check_end(off, len, dns_type_name(type), err);
	case DNS_TYPE_MX:
		if (len < 3)
			return error_set(err, ERR_INVALID, "MX record too short");
		rec->mx.preference = get16(p);
		off = 2;
		return parse_name_rdata(p, len, &off, a, &rec->mx.host, err) &&
		       check_end(off, len, "MX", err);
	case DNS_TYPE_SRV:
		if (len < 7)
			return error_set(err, ERR_INVALID, "SRV record too short");
		rec->srv.priority = get16(p);
		rec->srv.weight = get16(p + 2);
		rec->srv.port = get16(p + 4);
		off = 6;
		return parse_name_rdata(p, len, &off, a, &rec->srv.target, err) &&
		       check_end(off, len, "SRV", err);
	default: break;
	}
	return error_set(err, ERR_INVALID, "record type %d not supported", (int)type);
}

bool dns_rdata_parse(enum dns_type type, const uint8_t *p, size_t len, uint32_t ttl,
		     struct arena *a, struct dns_record *rec, struct error *err)
{
	memset(rec, 0, sizeof *rec);
	rec->type = type;
	rec->ttl = ttl;
	switch (type) {
	case DNS_TYPE_TXT: return parse_txt(p, len, a, &rec->txt, err);
	case DNS_TYPE_TLSA:
		/* RFC 6698 2.1: usage, selector, matching type, then the data. */
		if (len < 3)
			return error_set(err, ERR_INVALID, "TLSA record too short");
		rec->tlsa.usage = p[0];
		rec->tlsa.selector = p[1];
		rec->tlsa.matching_type = p[2];
		rec->tlsa.len = len - 3;
		uint8_t *data = arena_alloc(a, len - 3 + 1);
		memcpy(data, p + 3, len - 3);
		rec->tlsa.data = data;
		return true;
	default: return parse_fixed(type, p, len, a, rec, err);
	}
}
