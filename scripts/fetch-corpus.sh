#!/usr/bin/env bash
# Fetches the corpus of real recordings (docs/corpus.md) from its public sources at the
# commits labels.csv pins, and checks every file's sha256 against scripts/corpus.sha256.
#
#   scripts/fetch-corpus.sh [DIR]          fetch what is missing or wrong into DIR
#   scripts/fetch-corpus.sh --check [DIR]  only check DIR against the checksums
#
# DIR defaults to $INTEGRITYBOT_CORPUS, else ../shared/corpus beside the repository, where
# the tests look for it. Files already present with the right checksum are kept.
#
# Where each file comes from is scripts/corpus/sources.tsv (generated from labels.csv):
#   meta     labels.csv, train/labels.csv, README.md: copied from scripts/corpus/
#   git      $CORPUS_SOURCE_BASE/OWNER/REPO/raw/COMMIT/PATH  (https://github.com: resolves
#            abbreviated commits and Git LFS files, redirecting to raw.githubusercontent.com)
#   blob     $CORPUS_API_BASE/repos/OWNER/REPO/git/blobs/BLOB (https://api.github.com; files
#            only in a repository's history, pinned by their git blob id; 60 requests an hour
#            without $GITHUB_TOKEN)
#   derived  cut or re-encoded from a git source: made again with ffmpeg following the recipe
#            labels.csv states. Encoders differ between ffmpeg builds, so these are the same
#            pictures but NOT byte-exact; they are reported, not failed.
#   none     no public source named: cannot be fetched.
# Exit status: 0 when every meta/git/blob file is present with its checksum, 1 otherwise.
#
# Environment: CORPUS_SOURCE_BASE, CORPUS_API_BASE (file:// URLs work: the offline test in
# internal/corpus uses them), GITHUB_TOKEN, CORPUS_MANIFEST_DIR (default: this script's
# directory; holds corpus.sha256 and corpus/), CORPUS_NO_DERIVE=1 (skip derived files).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
manifest=${CORPUS_MANIFEST_DIR:-$here}
source_base=${CORPUS_SOURCE_BASE:-https://github.com}
api_base=${CORPUS_API_BASE:-https://api.github.com}

check_only=0
if [ "${1:-}" = "--check" ]; then check_only=1; shift; fi
case "${1:-}" in -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
dir=${1:-${INTEGRITYBOT_CORPUS:-$here/../../shared/corpus}}

die() { echo "fetch-corpus: $*" >&2; exit 2; }
[ -f "$manifest/corpus.sha256" ] && [ -f "$manifest/corpus/sources.tsv" ] ||
  die "no manifest in $manifest (corpus.sha256, corpus/sources.tsv)"

if command -v sha256sum >/dev/null 2>&1; then sha256() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
else die "need sha256sum or shasum"; fi
[ $check_only = 1 ] || command -v curl >/dev/null 2>&1 || die "need curl"

# want PATH: the checksum corpus.sha256 gives PATH.
declare -A want
while read -r sum path; do
  [ -n "$path" ] && want[$path]=$sum
done < "$manifest/corpus.sha256"

ok=0 fetched=0 failed=0 approx=0 skipped=0
failures=()
fail() { failed=$((failed + 1)); failures+=("$1"); echo "FAIL     $1" >&2; }

# has_sum PATH: DIR/PATH exists with its checksum.
has_sum() { [ -f "$dir/$1" ] && [ "$(sha256 "$dir/$1")" = "${want[$1]:-}" ]; }

# get URL OUT [HEADER...]: download URL to OUT (atomically), 0 on success.
get() {
  local url=$1 out=$2; shift 2
  local args=(-fsSL --retry 3 --connect-timeout 20 -o "$out.part")
  for h in "$@"; do args+=(-H "$h"); done
  mkdir -p "$(dirname "$out")"
  if curl "${args[@]}" "$url"; then mv "$out.part" "$out"; else rm -f "$out.part"; return 1; fi
}

# fetch_exact PATH URL [HEADER...]: download PATH and check its checksum.
fetch_exact() {
  local path=$1 url=$2; shift 2
  if ! get "$url" "$dir/$path" "$@"; then fail "$path: download failed: $url"; return; fi
  local got; got=$(sha256 "$dir/$path")
  if [ "$got" != "${want[$path]}" ]; then
    rm -f "$dir/$path"
    fail "$path: sha256 mismatch: got $got, want ${want[$path]} ($url)"
    return
  fi
  fetched=$((fetched + 1)); echo "fetched  $path"
}

# derive PATH RECIPE SRC: make DIR/PATH from the source file SRC with ffmpeg.
derive() {
  local path=$1 recipe=$2 src=$3 out="$dir/$1" enc=(-c:v libx264 -pix_fmt yuv420p -an)
  local ff=(ffmpeg -nostdin -hide_banner -loglevel error -y -i "$src")
  mkdir -p "$(dirname "$out")" || return 1
  case $recipe in
    half-left-crf*)  "${ff[@]}" -t 10 -vf "crop=iw/2:ih:0:0" "${enc[@]}" -crf "${recipe#half-left-crf}" "$out" ;;
    half-right-crf*) "${ff[@]}" -t 10 -vf "crop=iw/2:ih:iw/2:0" "${enc[@]}" -crf "${recipe#half-right-crf}" "$out" ;;
    first10-crf*)    "${ff[@]}" -t 10 "${enc[@]}" -crf "${recipe#first10-crf}" "$out" ;;
    gif-crf*-crop=*) local crf=${recipe#gif-crf}; crf=${crf%%-*}
                     "${ff[@]}" -vf "crop=${recipe#*-crop=},format=yuv420p" "${enc[@]}" -crf "$crf" "$out" ;;
    jpeg-q*-max*)    local m=${recipe##*-max}
                     "${ff[@]}" -vf "scale='if(gte(iw,ih),min($m,iw),-2)':'if(gte(iw,ih),-2,min($m,ih))'" -q:v 2 "$out" ;;
    jpeg-q*)         "${ff[@]}" -q:v 2 "$out" ;;
    *) return 3 ;;
  esac
}

mkdir -p "$dir" || die "cannot create $dir"
while IFS=$'\t' read -r -u 3 path how repo ref src blob recipe; do
  case $path in ''|'#'*) continue ;; esac
  [ -n "${want[$path]:-}" ] || die "$path: not in $manifest/corpus.sha256"
  if has_sum "$path"; then ok=$((ok + 1)); continue; fi
  if [ $check_only = 1 ]; then
    case $how in
      derived|none) if [ -f "$dir/$path" ]; then approx=$((approx + 1)); echo "differs  $path ($how: not byte-exact)"
                    else skipped=$((skipped + 1)); echo "missing  $path ($how)"; fi ;;
      *) if [ -f "$dir/$path" ]; then fail "$path: sha256 mismatch"; else fail "$path: missing"; fi ;;
    esac
    continue
  fi
  case $how in
    meta) mkdir -p "$(dirname "$dir/$path")" && cp "$manifest/corpus/$path" "$dir/$path"
          if has_sum "$path"; then fetched=$((fetched + 1)); echo "copied   $path"; else fail "$path: copy differs from corpus.sha256"; fi ;;
    git)  fetch_exact "$path" "$source_base/$repo/raw/$ref/$src" ;;
    blob) auth=(); [ -n "${GITHUB_TOKEN:-}" ] && auth=("Authorization: Bearer $GITHUB_TOKEN")
          fetch_exact "$path" "$api_base/repos/$repo/git/blobs/$blob" "Accept: application/vnd.github.raw+json" "${auth[@]}" ;;
    derived)
      if [ -f "$dir/$path" ]; then approx=$((approx + 1)); echo "kept     $path (derived earlier; not byte-exact)"; continue; fi
      if [ "${CORPUS_NO_DERIVE:-}" = 1 ] || ! command -v ffmpeg >/dev/null 2>&1; then
        skipped=$((skipped + 1)); echo "skipped  $path (derived with ffmpeg, recipe $recipe: CORPUS_NO_DERIVE set or no ffmpeg)"; continue
      fi
      cache="$dir/.sources/$repo/$ref/$src"
      if [ ! -f "$cache" ] && ! get "$source_base/$repo/raw/$ref/$src" "$cache"; then
        skipped=$((skipped + 1)); echo "skipped  $path (its source did not download: $source_base/$repo/raw/$ref/$src)" >&2; continue
      fi
      if derive "$path" "$recipe" "$cache"; then
        approx=$((approx + 1)); echo "derived  $path ($recipe from $repo $src; same pictures, not byte-exact)"
      else
        rm -f "$dir/$path"; skipped=$((skipped + 1)); echo "skipped  $path (ffmpeg could not follow recipe $recipe)" >&2
      fi ;;
    none) skipped=$((skipped + 1)); echo "skipped  $path (no public source named in labels.csv: cannot be fetched)" ;;
    *) die "$path: unknown source kind $how" ;;
  esac
done 3< "$manifest/corpus/sources.tsv"

echo "corpus in $dir: $ok already present, $fetched fetched, $approx derived or differing (not byte-exact), $skipped skipped, $failed failed"
if [ $failed -gt 0 ]; then
  printf '  %s\n' "${failures[@]}" >&2
  exit 1
fi
if [ "$dir" != "${INTEGRITYBOT_CORPUS:-}" ]; then
  echo "tests find it at ../shared/corpus beside the repository; elsewhere: export INTEGRITYBOT_CORPUS=$dir"
fi
