#include "smtp/seams.h"

#include <string.h>

void smtp_analyze(const struct smtp_analysis_input *in, struct smtp_analysis *out)
{
	(void)in;
	/* No SPF/DKIM/DMARC or junk filter in this build yet: nothing to refuse on. */
	out->accept = true;
	out->code = 0;
	out->se = NULL;
	out->text[0] = '\0';
	out->mailbox = NULL;
	buf_init(&out->headers);
}
