/* SPDX-License-Identifier: MIT */
/*
 * The one error-code table. Every failing function in lotledger returns 0 or
 * a negative LL_E* code from this list; ll_strerror() maps a code to text.
 * The X-macro keeps the enum and the messages in one place, as libuv's
 * UV_ERRNO_MAP does.
 */
#ifndef LL_ERR_H
#define LL_ERR_H

#define LL_ERRNO_MAP(XX)                                                       \
    XX(EINVAL, 1, "invalid argument")                                          \
    XX(ENOMEM, 2, "out of memory")                                             \
    XX(EIO, 3, "input/output error")                                           \
    XX(ESTORE, 4, "storage error")                                             \
    XX(EDECODE, 5, "malformed encoding")                                       \
    XX(ETOOBIG, 6, "value exceeds a hard limit")                               \
    XX(ENOTFOUND, 7, "not found")                                              \
    XX(EVERIFY, 8, "verification failed")                                      \
    XX(EAUTH, 9, "authentication failed")                                      \
    XX(ETRUNC, 10, "input truncated")                                          \
    XX(ETRAILING, 11, "trailing bytes after encoding")                         \
    XX(ECRYPTO, 12, "cryptographic operation failed")                          \
    XX(EEXIST, 13, "already exists")                                           \
    XX(ERANGE, 14, "value out of range")                                       \
    XX(EPROTO, 15, "protocol violation")                                       \
    XX(ENONCANON, 16, "non-canonical encoding")                                \
    XX(EPROOF, 17, "proof does not verify")                                    \
    XX(EVERSION, 18, "unsupported format version")                             \
    XX(EBADKEY, 19, "invalid key")                                             \
    XX(EBADSIG, 20, "invalid signature")                                       \
    XX(ECORRUPT, 21, "stored data is corrupt")                                 \
    XX(EREPLAY, 22, "event already recorded")                                  \
    XX(EUNKNOWNORG, 23, "unknown organisation")                                \
    XX(EKEY, 24, "key not valid for the organisation at this height")          \
    XX(EROLE, 25, "organisation lacks the role this event needs")              \
    XX(ENOLOT, 26, "lot does not exist")                                       \
    XX(ELOTEXISTS, 27, "lot already exists")                                   \
    XX(ENOTHOLDER, 28, "organisation does not hold the lot")                   \
    XX(EQUANTITY, 29, "quantity exceeds what is held")                         \
    XX(EUNIT, 30, "unit differs from the lot's unit")                          \
    XX(ELOTSTATUS, 31, "the lot's status forbids this event")                  \
    XX(ENOSHIPMENT, 32, "no such pending shipment")                            \
    XX(ENOTRECEIVER, 33, "organisation is not the shipment's receiver")        \
    XX(ENOTPERMITTED, 34, "organisation may not do this to the lot")           \
    XX(ENOEVENT, 35, "referenced event not found")                             \
    XX(EFUTURE, 36, "event time is after the block time")                      \
    XX(ESTALE, 37, "store rolled back below its last committed block")

enum ll_err {
    LL_OK = 0,
#define LL_ERR_ENUM(name, num, text) LL_##name = -(num),
    LL_ERRNO_MAP(LL_ERR_ENUM)
#undef LL_ERR_ENUM
};

/*
 * Return a static, human-readable description of an error code.
 * Returns: a string that is never NULL; unknown codes give "unknown error".
 * In: err: 0 or a negative LL_E* code.
 */
const char *ll_strerror(int err);

/*
 * Return the symbolic name of an error code ("LL_EINVAL").
 * Returns: a static string, never NULL.
 */
const char *ll_err_name(int err);

#endif
