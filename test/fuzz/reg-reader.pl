#!/usr/bin/perl
# Reads many .reg files in one process with Win::Hivex::Regedit, the library behind hivexregedit:
# each file is merged into a fresh copy (in memory) of the empty hive given as the argument, and
# every value under HKEY_CURRENT_USER is read back. Input on stdin: a JSON list of base64 file
# bytes; output: a JSON list of {ok, value: {path: {name: value}}} or {ok: 0, error}.
use strict;
use warnings;
use Encode qw(decode encode);
use JSON::PP;
use MIME::Base64 qw(decode_base64);
use Win::Hivex;
use Win::Hivex::Regedit qw(reg_import);

my $hive_file = shift or die "usage: reg-reader.pl EMPTY_HIVE\n";
my $json = JSON::PP->new->ascii->canonical;
my $jobs = $json->decode(do { local $/; <STDIN> });

sub child {
    my ($h, $node, $name) = @_;
    return $h->node_get_child($node, $name) // $h->node_add_child($node, $name);
}

# Names come back as text or as UTF-8 bytes depending on how they were stored.
sub text { my $s = shift; return utf8::is_utf8($s) ? $s : decode('UTF-8', $s); }

sub dump_node {
    my ($h, $node, $path, $out) = @_;
    my %values;
    for my $value ($h->node_values($node)) {
        my ($type, $data) = $h->value_value($value);
        my $name = text($h->value_key($value));
        if ($type == 1) {
            my $text = decode('UTF-16LE', $data);
            $text =~ s/\x{0}\z//;
            $values{$name} = $text;
        } elsif ($type == 4) {
            $values{$name} = unpack('V', $data);
        } else {
            $values{$name} = "type $type";
        }
    }
    $out->{$path} = \%values if %values;
    for my $kid ($h->node_children($node)) {
        dump_node($h, $kid, $path . '\\' . text($h->node_name($kid)), $out);
    }
}

my @results;
for my $job (@$jobs) {
    my $result = eval {
        my $bytes = decode_base64($job);
        die "no UTF-16LE byte order mark\n" unless substr($bytes, 0, 2) eq "\xff\xfe";
        my $text = decode('UTF-16LE', substr($bytes, 2), Encode::FB_CROAK);
        my $h = Win::Hivex->open($hive_file, write => 1);
        # The keys an Office installation has (and its policy keys: regedit creates missing parent
        # keys itself, hivex does not); the files add their own below them.
        for my $version ('14.0', '15.0', '16.0') {
            my $node = $h->root();
            $node = child($h, $node, $_) for ('Software', 'Microsoft', 'Office', $version, 'Outlook');
            $node = $h->root();
            $node = child($h, $node, $_) for ('Software', 'Policies', 'Microsoft', 'Office', $version, 'Outlook');
        }
        my $utf8 = encode('UTF-8', $text);
        open(my $fh, '<:encoding(UTF-8)', \$utf8) or die "cannot read the text\n";
        reg_import($fh, sub {
            my $key = shift;
            die "key outside HKEY_CURRENT_USER: $key\n" unless $key =~ /^HKEY_CURRENT_USER(\\.*)$/;
            return ($h, $1);
        }, encoding => 'UTF-16LE');
        my %keys;
        dump_node($h, $h->root(), 'HKEY_CURRENT_USER', \%keys);
        undef $h;
        { ok => JSON::PP::true, value => \%keys };
    };
    if ($@) {
        my $error = "$@";
        $error =~ s/\s+\z//;
        push @results, { ok => JSON::PP::false, error => $error };
    } else {
        push @results, $result;
    }
}
print $json->encode(\@results);
