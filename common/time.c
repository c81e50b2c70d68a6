/* SPDX-License-Identifier: MIT */
/*
 * ISO 8601 / RFC 3339 timestamps to and from milliseconds since the Unix
 * epoch, without the C library's locale- and TZ-dependent calls: civil
 * dates are converted with the days-from-civil arithmetic, valid for the
 * proleptic Gregorian calendar.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"

/* Days from 1970-01-01 to y-m-d (m 1..12). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

/* Read exactly n digits. Returns true and the value, or false. */
static bool digits(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool ll_date_is_valid(int64_t y, int64_t m, int64_t d)
{
    static const int8_t mdays[] = {31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31};
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int64_t max = mdays[m - 1] + (m == 2 && leap);
    return d <= max;
}

/* Parse "+hh:mm", "-hh:mm" or "Z" into minutes east of UTC. */
static bool parse_offset(const char *s, size_t len, int32_t *out)
{
    int64_t hh;
    int64_t mm;
    if (len == 1 && s[0] == 'Z') {
        *out = 0;
        return true;
    }
    if (len != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' ||
        !digits(s + 1, 2, &hh) || !digits(s + 4, 2, &mm) || hh > 14 ||
        mm > 59 || (hh == 14 && mm != 0))
        return false;
    *out = (int32_t)((s[0] == '-' ? -1 : 1) * (hh * 60 + mm));
    return true;
}

int ll_time_parse(int64_t *ms_out, int32_t *tz_out, const char *s)
{
    int64_t y, mo, d, h, mi, sec;
    int64_t frac = 0;
    size_t len = strlen(s);
    if (len < 20 || !digits(s, 4, &y) || s[4] != '-' ||
        !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
        s[10] != 'T' || !digits(s + 11, 2, &h) || s[13] != ':' ||
        !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
        return LL_EINVAL;
    if (!ll_date_is_valid(y, mo, d) || h > 23 || mi > 59 || sec > 59)
        return LL_EINVAL;
    size_t i = 19;
    if (s[i] == '.') {
        size_t n = 0;
        i++;
        while (s[i + n] >= '0' && s[i + n] <= '9')
            n++;
        if (n == 0 || n > 9)
            return LL_EINVAL;
        int64_t f = 0;
        (void)digits(s + i, n < 3 ? n : 3, &f);
        for (size_t k = n; k < 3; k++)
            f *= 10;
        frac = f; /* milliseconds; finer digits are dropped */
        i += n;
    }
    int32_t tz = 0;
    if (!parse_offset(s + i, len - i, &tz))
        return LL_EINVAL;
    int64_t days = days_from_civil(y, mo, d);
    *ms_out =
        ((days * 86400 + h * 3600 + mi * 60 + sec) - (int64_t)tz * 60) * 1000 +
        frac;
    if (tz_out != NULL)
        *tz_out = tz;
    return 0;
}

int ll_time_format(char *out, size_t cap, int64_t ms, int32_t tz_min)
{
    int64_t local = ms + (int64_t)tz_min * 60000;
    int64_t days =
        local >= 0 ? local / 86400000 : -((-local + 86399999) / 86400000);
    int64_t rem = local - days * 86400000;
    int64_t y, m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999 || tz_min < -14 * 60 || tz_min > 14 * 60)
        return LL_ERANGE;
    int n;
    if (tz_min == 0) {
        n = snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (int)y,
                     (int)m, (int)d, (int)(rem / 3600000),
                     (int)(rem / 60000 % 60), (int)(rem / 1000 % 60),
                     (int)(rem % 1000));
    } else {
        int32_t a = tz_min < 0 ? -tz_min : tz_min;
        n = snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02d:%02d",
                     (int)y, (int)m, (int)d, (int)(rem / 3600000),
                     (int)(rem / 60000 % 60), (int)(rem / 1000 % 60),
                     (int)(rem % 1000), tz_min < 0 ? '-' : '+', (int)(a / 60),
                     (int)(a % 60));
    }
    if (n < 0 || (size_t)n >= cap)
        return LL_EINVAL;
    return 0;
}
