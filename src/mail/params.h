/*
 * params: the value of Content-Type and Content-Disposition (RFC 2045 5.1,
 * RFC 2183 2): a type ("text/plain", "attachment") and parameters, with
 * RFC 2231 continuations ("name*0", "name*1") and charsets ("name*=utf-8''x")
 * decoded.
 *
 * Parsing is forgiving, as real mail needs: comments anywhere, unquoted values
 * that contain tspecials (boundary=----=_Part_1), unterminated quotes, empty
 * or repeated semicolons, RFC 2047 encoded words in values (sent by many
 * mailers for file names). Names are lower-cased; the first of repeated names
 * wins (an RFC 2231 form wins over a plain one of the same name). Values are
 * UTF-8 (invalid bytes become U+FFFD). At most MAIL_PARAMS_MAX parameters are
 * kept. Results live in the arena; thread-safe.
 */
#ifndef TERN_MAIL_PARAMS_H
#define TERN_MAIL_PARAMS_H

#include "mail/mail.h"

#include "base/arena.h"
#include "base/str.h"

#include <stdbool.h>

struct mail_typed_value {
	const char *type;    /* lower-case; NULL when missing or not a token */
	const char *subtype; /* lower-case; only with with_subtype, NULL when missing */
	struct mail_param *params;
	size_t nparams;
	bool bad_params; /* something needed recovery */
};

/* Parses value (already unfolded). with_subtype: "type/subtype" (Content-Type)
 * or a single token (Content-Disposition). */
void mail_params_parse(struct arena *a, struct str value, bool with_subtype,
		       struct mail_typed_value *out);

#endif
