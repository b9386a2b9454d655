-- Company-name and domain normalisation, as DuckDB macros the match stage calls.
-- One definition for every entity: legal suffixes, '&'/'and', punctuation, case, "The",
-- accents and spacing do not tell two companies apart.
CREATE OR REPLACE TEMP MACRO _match_words(name) AS ' ' || trim(regexp_replace(
    replace(lower(strip_accents(coalesce(name, ''))), '&', ' and '), '[^a-z0-9]+', ' ', 'g'
)) || ' ';

CREATE OR REPLACE TEMP MACRO _match_norm_company(name) AS trim(regexp_replace(
    regexp_replace(
        regexp_replace(_match_words(name), '^ the ', ' '),
        '( (limited|ltd|llc|l l c|inc|incorporated|gmbh|plc|llp|l l p|corp|corporation|pty|'
        || 'bv|b v|ag|a g|sa|s a|sas|s a s|sarl|s a r l|sl|s l|srl|oy|ab|as|nv|n v))+ $',
        ' '
    ),
    ' and co $', ' and company '
));

-- Host of a website or e-mail, without scheme, www., path or port (NULL for free mail).
CREATE OR REPLACE TEMP MACRO _match_domain(value) AS (
    WITH host AS (
        SELECT lower(regexp_replace(regexp_replace(regexp_replace(trim(coalesce(value, '')),
            '^.*@', ''), '^[a-z]+://', ''), '^www\.|[/:?#].*$', '', 'g')) AS h
    )
    SELECT CASE
        WHEN h = '' OR h NOT LIKE '%.%' THEN NULL
        WHEN h IN ('gmail.com', 'googlemail.com', 'hotmail.com', 'hotmail.co.uk', 'outlook.com',
                   'live.com', 'yahoo.com', 'yahoo.co.uk', 'icloud.com', 'me.com', 'aol.com',
                   'btinternet.com', 'sky.com', 'virginmedia.com', 'protonmail.com', 'gmx.com',
                   'gmx.de', 'web.de', 'mail.com') THEN NULL
        ELSE h END
    FROM host
);
