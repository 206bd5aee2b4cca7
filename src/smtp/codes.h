/*
 * codes: SMTP reply codes (RFC 5321 4.2) and enhanced status codes (RFC
 * 3463, registry of RFC 5248), shared by the server and the client.
 *
 * An enhanced code is written here without its class digit ("1.1" for
 * x.1.1): the class always equals the first digit of the reply code (RFC 3463
 * 2), so the reply writer derives it and a 5xx reply can never carry a 4.x.x
 * code by mistake. Header only; constants, no state.
 */
#ifndef TERN_SMTP_CODES_H
#define TERN_SMTP_CODES_H

/* Reply codes, RFC 5321 4.2.2 and 4.2.3, RFC 4954 6, RFC 3207 4. */
#define SMTP_C211_STATUS          211
#define SMTP_C214_HELP            214
#define SMTP_C220_READY           220
#define SMTP_C221_CLOSING         221
#define SMTP_C235_AUTH_OK         235
#define SMTP_C250_OK              250
#define SMTP_C251_FORWARD         251
#define SMTP_C252_CANNOT_VRFY     252
#define SMTP_C334_AUTH_CONTINUE   334
#define SMTP_C354_START_DATA      354
#define SMTP_C421_UNAVAILABLE     421
#define SMTP_C450_MAILBOX_UNAVAIL 450
#define SMTP_C451_LOCAL_ERROR     451
#define SMTP_C452_STORAGE         452
#define SMTP_C454_TEMP_AUTH_FAIL  454
#define SMTP_C455_PARAMS          455
#define SMTP_C500_SYNTAX          500
#define SMTP_C501_PARAM_SYNTAX    501
#define SMTP_C502_NOT_IMPL        502
#define SMTP_C503_BAD_SEQUENCE    503
#define SMTP_C504_PARAM_NOT_IMPL  504
#define SMTP_C530_AUTH_REQUIRED   530
#define SMTP_C534_AUTH_WEAK       534
#define SMTP_C535_AUTH_BAD        535
#define SMTP_C538_ENC_FOR_AUTH    538
#define SMTP_C550_MAILBOX_UNAVAIL 550
#define SMTP_C552_EXCEEDED        552
#define SMTP_C553_BAD_NAME        553
#define SMTP_C554_FAILED          554
#define SMTP_C555_PARAMS          555

/* Enhanced status subjects and details, RFC 3463 3 (class digit left out). */
#define SMTP_SE_OTHER                "0.0"
#define SMTP_SE_ADDR_OTHER           "1.0"
#define SMTP_SE_ADDR_UNKNOWN_MAILBOX "1.1" /* bad destination mailbox address */
#define SMTP_SE_ADDR_BAD_SYNTAX      "1.3" /* bad destination mailbox address syntax */
#define SMTP_SE_ADDR_SENDER_SYNTAX   "1.7" /* bad sender's mailbox address syntax */
#define SMTP_SE_ADDR_SENDER_OK       "1.0"
#define SMTP_SE_MAILBOX_OTHER        "2.0"
#define SMTP_SE_MAILBOX_DISABLED     "2.1"
#define SMTP_SE_MAILBOX_FULL         "2.2"
#define SMTP_SE_MAILBOX_MSG_TOO_BIG  "2.3"
#define SMTP_SE_SYS_OTHER            "3.0"
#define SMTP_SE_SYS_STORAGE          "3.1"
#define SMTP_SE_SYS_NOT_ACCEPTING    "3.2"
#define SMTP_SE_SYS_NOT_CAPABLE      "3.3" /* system not capable of selected features */
#define SMTP_SE_SYS_MSG_TOO_BIG      "3.4"
#define SMTP_SE_NET_OTHER            "4.0"
#define SMTP_SE_NET_TIMEOUT          "4.2" /* bad connection */
#define SMTP_SE_PROTO_OTHER          "5.0"
#define SMTP_SE_PROTO_BAD_CMD        "5.1" /* invalid command / sequence */
#define SMTP_SE_PROTO_SYNTAX         "5.2"
#define SMTP_SE_PROTO_TOO_MANY_RCPTS "5.3"
#define SMTP_SE_PROTO_BAD_PARAMS     "5.4"
#define SMTP_SE_MSG_OTHER            "6.0"
#define SMTP_SE_MSG_CONVERSION       "6.3"
#define SMTP_SE_MSG_UTF8_REQUIRED    "6.7" /* RFC 6531 3.6 (non-ASCII without SMTPUTF8) */
#define SMTP_SE_POL_OTHER            "7.0"
#define SMTP_SE_POL_DELIVERY_UNAUTH  "7.1"
#define SMTP_SE_POL_AUTH_BAD_CREDS   "7.8"
#define SMTP_SE_POL_AUTH_WEAK        "7.9"
#define SMTP_SE_POL_ENC_NEEDED       "7.11"
#define SMTP_SE_POL_REQUIRETLS       "7.30" /* RFC 8689 5 */

#endif
