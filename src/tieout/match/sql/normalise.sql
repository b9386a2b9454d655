-- Company-name and domain normalisation, as DuckDB macros the match stage calls.
-- One definition for every entity: legal suffixes, '&'/'and', 'Co'/'Company', punctuation,
-- apostrophes, dotted initials, case, "The", accents and spacing do not tell two companies
-- apart. Letters with no accent to strip (Ø, ß, Ł, Æ, ...) are spelled out first.

CREATE OR REPLACE TEMP MACRO _match_ascii(text) AS strip_accents(
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
        lower(coalesce(text, '')),
        'ø', 'o'), 'ß', 'ss'), 'ł', 'l'), 'æ', 'ae'), 'œ', 'oe'), 'đ', 'd'), 'þ', 'th'),
        'ð', 'd'), 'ı', 'i'), 'ŀ', 'l'));

CREATE OR REPLACE TEMP MACRO _match_words(name) AS ' ' || trim(regexp_replace(
    regexp_replace(
        replace(replace(replace(_match_ascii(name), '''', ''), chr(8217), ''), '&', ' and '),
        '\b([a-z])\.', '\1', 'g'),  -- dotted initials join up: "A.B." "L.L.C." -> "ab" "llc"
    '[^a-z0-9]+', ' ', 'g'
)) || ' ';

CREATE OR REPLACE TEMP MACRO _match_norm_company(name) AS trim(regexp_replace(
    regexp_replace(
        regexp_replace(
            regexp_replace(_match_words(name), '^ the ', ' '),
            '( (limited|ltd|llc|inc|incorporated|gmbh|gmbh and co kg|and co kg|kg|ag|plc|llp|'
            || 'lp|corp|corporation|pty|bv|nv|sa|sas|sarl|sl|srl|spa|oy|ab|as|a s|aps|'
            || 'a p s|kft|sp z o o|sro|s r o|l l c|l l p|l t d|s a|b v|n v|a g|s a s|s a r l))+ $',
            ' '
        ),
        ' and co ', ' and company ', 'g'
    ),
    ' co $', ' company '
));

-- Host of a website or e-mail, without scheme, www., path or port (NULL for free mail).
CREATE OR REPLACE TEMP MACRO _match_domain(value) AS (
    WITH host AS (
        SELECT regexp_replace(regexp_replace(regexp_replace(regexp_replace(
            lower(trim(coalesce(value, ''))),
            '^.*@', ''), '^[a-z]+://', ''), '^www\.', ''), '[^a-z0-9.-].*$', '') AS h
    )
    SELECT CASE
        WHEN h = '' OR h NOT LIKE '%.%' THEN NULL
        WHEN h IN ('gmail.com', 'googlemail.com', 'hotmail.com', 'hotmail.co.uk', 'hotmail.fr',
                   'outlook.com', 'live.com', 'live.co.uk', 'msn.com', 'yahoo.com',
                   'yahoo.co.uk', 'ymail.com', 'icloud.com', 'me.com', 'aol.com', 'aol.co.uk',
                   'btinternet.com', 'sky.com', 'talktalk.net', 'virginmedia.com',
                   'protonmail.com', 'proton.me', 'gmx.com', 'gmx.de', 'web.de', 'mail.com')
            THEN NULL
        ELSE h END
    FROM host
);
