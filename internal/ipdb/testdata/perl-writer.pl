#!/usr/bin/perl
# Writes perl-writer-rs*.mmdb with MaxMind's own Perl writer
# (Debian: libmaxmind-db-writer-perl), so that LoadMMDB is also tested on
# files this package's test writer did not make. The data is synthetic.
#
#   cd internal/ipdb/testdata && perl perl-writer.pl
use strict;
use warnings;
# A fixed build time (2024-05-01 12:00 UTC), so the output is reproducible.
BEGIN { *CORE::GLOBAL::time = sub { 1714564800 } }
use MaxMind::DB::Writer::Tree;

my %types = (
    country => 'map', registered_country => 'map', iso_code => 'utf8_string',
    names => 'map', en => 'utf8_string', location => 'map', latitude => 'double',
    autonomous_system_number => 'uint32', autonomous_system_organization => 'utf8_string',
    big => 'uint128', neg => 'int32', flag => 'boolean', arr => ['array', 'utf8_string'],
    f => 'float', u64 => 'uint64', raw => 'bytes',
);
for my $rs (24, 32) {
    my $tree = MaxMind::DB::Writer::Tree->new(
        ip_version => 6, record_size => $rs, database_type => "Perl-Test-$rs",
        languages => ['en'], description => { en => 'perl writer' },
        map_key_type_callback => sub { $types{ $_[0] } },
        alias_ipv6_to_ipv4 => 1, remove_reserved_networks => 0,
    );
    for my $n (0 .. 299) {
        my ($a, $b) = (1 + int($n / 256), $n % 256);
        my $cc = chr(65 + $n % 26) . chr(65 + int($n / 26) % 26);
        $tree->insert_network("$a.$b.0.0/16", {
            country => { iso_code => $cc, names => { en => "C$n" } },
            autonomous_system_number => 64000 + ($n % 50),
            autonomous_system_organization => "Org " . ($n % 50),
            location => { latitude => 1.5 }, big => '1', neg => -5, flag => 1,
            arr => ['x', 'y'], f => 2.5, u64 => 12345678901, raw => 'abc',
        });
    }
    $tree->insert_network("2a00::/16", { registered_country => { iso_code => 'DE' }, autonomous_system_number => 3320 });
    $tree->insert_network("2c0f:f000::/20", { country => { iso_code => 'ZA' } });
    open my $fh, '>:raw', "perl-writer-rs$rs.mmdb" or die;
    $tree->write_tree($fh);
    close $fh;
}
