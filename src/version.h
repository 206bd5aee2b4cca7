/* The version printed by "tern version" and used in protocol banners' details. */
#ifndef TERN_VERSION_H
#define TERN_VERSION_H
#define TERN_VERSION "0.1.0-dev"
#endif
