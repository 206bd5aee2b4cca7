/*
 * rdata: record data in DNS wire format (RFC 1035 3.3) turned into the typed
 * records of dns.h.
 *
 * The production resolver gets each record's data as bytes from libunbound
 * (already decompressed: names inside are plain label sequences, RFC 1035
 * 3.1). These functions check every length against the data they are given,
 * so arbitrary bytes never read outside it; a record that does not parse is
 * refused with a reason. Output is allocated in the caller's arena. Thread-safe.
 */
#ifndef TERN_DNS_RDATA_H
#define TERN_DNS_RDATA_H

#include "base/arena.h"
#include "base/error.h"
#include "dns/dns.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Parses the data of one record of type into rec (rec->type and rec->ttl are
 * set here too). The whole of p[0..len) must be used: trailing bytes are an
 * error (RFC 1035 3.2.1 RDLENGTH describes the data exactly).
 */
bool dns_rdata_parse(enum dns_type type, const uint8_t *p, size_t len, uint32_t ttl,
		     struct arena *a, struct dns_record *rec, struct error *err);

/*
 * Reads an uncompressed wire name at p[*off..len) and writes its text form
 * (see dns.h "Names": lower case, \DDD escapes, no trailing dot, "." for the
 * root) into out (DNS_TEXT_NAME_MAX bytes). Advances *off past the name.
 * Compression pointers are refused: record data handed out by resolvers is
 * decompressed.
 */
bool dns_wire_name_text(const uint8_t *p, size_t len, size_t *off, char *out, struct error *err);

/*
 * Turns a name in zone-file presentation form (RFC 1035 5.1: "\." and "\DDD"
 * escapes, optional trailing dot), as libunbound writes canonical names, into
 * the text form of dns.h "Names" in out (DNS_TEXT_NAME_MAX bytes).
 */
bool dns_presentation_name_text(const char *in, char *out, struct error *err);

#endif
