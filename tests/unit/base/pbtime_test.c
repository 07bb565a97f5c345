/* SPDX-License-Identifier: MIT
 * Protobuf's Timestamp and Duration JSON strings, both ways. */
#include "../test.h"
#include "base/pbtime.h"

TEST(pbtime_timestamp_format)
{
    char s[PBTIME_MAX];
    pbtime_timestamp_format(0, s);
    ASSERT_STR_EQ(s, "1970-01-01T00:00:00Z");
    pbtime_timestamp_format(1714557600250, s);
    ASSERT_STR_EQ(s, "2024-05-01T10:00:00.250Z");
    pbtime_timestamp_format(951782400001, s); /* a leap day */
    ASSERT_STR_EQ(s, "2000-02-29T00:00:00.001Z");
    pbtime_timestamp_format(-1, s);
    ASSERT_STR_EQ(s, "1969-12-31T23:59:59.999Z");
}

TEST(pbtime_timestamp_parse)
{
    int64_t ms;
    ASSERT_INT_EQ(pbtime_timestamp_parse("2024-05-01T10:00:00.250Z", &ms), 0);
    ASSERT_INT_EQ(ms, 1714557600250);
    ASSERT_INT_EQ(pbtime_timestamp_parse("2024-05-01T10:00:00.250999999Z", &ms), 0);
    ASSERT_INT_EQ(ms, 1714557600250);
    ASSERT_INT_EQ(pbtime_timestamp_parse("2024-05-01T12:00:00.25+02:00", &ms), 0);
    ASSERT_INT_EQ(ms, 1714557600250);
    ASSERT_INT_EQ(pbtime_timestamp_parse("1969-12-31T23:59:59.999Z", &ms), 0);
    ASSERT_INT_EQ(ms, -1);
    ASSERT_INT_EQ(pbtime_timestamp_parse("2000-02-29T00:00:00Z", &ms), 0);
    static const char *const bad[] = {
        "",
        "2024-05-01",
        "2024-05-01T10:00:00",             /* no zone */
        "2024-05-01 10:00:00Z",            /* no T */
        "2024-13-01T10:00:00Z",            /* month 13 */
        "2023-02-29T10:00:00Z",            /* not a leap year */
        "2024-05-01T24:00:00Z",            /* hour 24 */
        "2024-05-01T10:00:00.Z",           /* empty fraction */
        "2024-05-01T10:00:00.1234567891Z", /* 10 digits */
        "2024-05-01T10:00:00Zjunk",
        "0000-01-01T00:00:00Z", /* year 0 */
        "2024-05-01T10:00:00+2:00",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        if (pbtime_timestamp_parse(bad[i], &ms) == 0)
            FAIL_AT("'%s' parsed", bad[i]);
    ASSERT(pbtime_timestamp_parse(NULL, &ms) != 0);
}

TEST(pbtime_duration_both_ways)
{
    char s[PBTIME_MAX];
    int64_t ms;
    pbtime_duration_format(1500, s);
    ASSERT_STR_EQ(s, "1.500s");
    pbtime_duration_format(2000, s);
    ASSERT_STR_EQ(s, "2s");
    pbtime_duration_format(12, s);
    ASSERT_STR_EQ(s, "0.012s");
    pbtime_duration_format(-1500, s);
    ASSERT_STR_EQ(s, "-1.500s");
    pbtime_duration_format(0, s);
    ASSERT_STR_EQ(s, "0s");
    ASSERT_INT_EQ(pbtime_duration_parse("0.144s", &ms), 0);
    ASSERT_INT_EQ(ms, 144);
    ASSERT_INT_EQ(pbtime_duration_parse("3s", &ms), 0);
    ASSERT_INT_EQ(ms, 3000);
    ASSERT_INT_EQ(pbtime_duration_parse("1.000000001s", &ms), 0);
    ASSERT_INT_EQ(ms, 1000);
    ASSERT_INT_EQ(pbtime_duration_parse("-0.5s", &ms), 0);
    ASSERT_INT_EQ(ms, -500);
    static const char *const bad[] = {
        "",    "s",   "1",     "1.5",           "1.s",
        ".5s", "1ms", "1.5 s", "315576000001s", "99999999999999999999s"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        if (pbtime_duration_parse(bad[i], &ms) == 0)
            FAIL_AT("'%s' parsed", bad[i]);
}
