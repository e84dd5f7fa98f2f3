/* version.h - the kazi version string. Owns only that. */
#ifndef KAZI_VERSION_H
#define KAZI_VERSION_H
#define KAZI_VERSION "0.1.0"
#endif
